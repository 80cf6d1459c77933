// The HTTP vocabulary (methods, statuses, headers, byte buffers) is SwiftNIO's; users of
// Brigade get it without importing NIO themselves.
@_exported import struct NIOCore.ByteBuffer
@_exported import struct NIOCore.ByteBufferAllocator
@_exported import struct NIOHTTP1.HTTPHeaders
@_exported import enum NIOHTTP1.HTTPMethod
@_exported import enum NIOHTTP1.HTTPResponseStatus
@_exported import struct NIOHTTP1.HTTPVersion
