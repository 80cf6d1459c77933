#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The connector could not listen on its address: the port is taken, the address is not
/// this machine's, or the process may not bind it.
public struct BindError: Error, Sendable, CustomStringConvertible {
    /// The address asked for (`server.host`).
    public let host: String
    /// The port asked for (`server.port`).
    public let port: Int
    /// The system's error number (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`), when the system
    /// refused; `nil` when the host name could not be resolved.
    public let errno: Int32?
    /// The system's or the resolver's words.
    public let reason: String

    /// Creates an error.
    public init(host: String, port: Int, errno: Int32?, reason: String) {
        self.host = host
        self.port = port
        self.errno = errno
        self.reason = reason
    }

    /// Whether another socket already listens on the port.
    public var isAddressInUse: Bool { errno == EADDRINUSE }
    /// Whether the process may not bind the port (below 1024 without the capability).
    public var isPermissionDenied: Bool { errno == EACCES }

    public var description: String {
        let cause = errno.map { String(cString: strerror($0)) } ?? reason
        return "cannot listen on \(host):\(port): \(cause)"
    }
}
