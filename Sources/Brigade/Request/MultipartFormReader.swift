import BrigadeHTTP
import DequeModule
import MultipartKit
import NIOCore
import NIOHTTP1

/// Reads a `multipart/form-data` body part by part while it arrives, without holding it:
/// small fields as strings, files as streams of `ByteBuffer`s.
///
/// ```swift
/// routes.post("/upload", body: .stream(maxSize: 1 << 30)) { request in
///     let form = try MultipartFormReader(request)
///     while let part = try form.nextPart() {
///         if part.filename == nil { fields[part.name ?? ""] = try part.text() }
///         else { while let chunk = try part.read() { try file.write(chunk) } }
///     }
/// }
/// ```
/// Blocking calls (``nextPart()``, ``MultipartPart/read()``) are for front and back threads;
/// in `async` handlers the `async` overloads of the same names suspend instead.
///
/// Parsing is vapor/multipart-kit's `MultipartParser`, fed at most 16 KiB at a time so that
/// one part's bytes never pile up. Errors are ``HTTPError``s: a missing or malformed boundary
/// or a truncated body → `400`; past ``Limits`` → `413`. Not thread-safe: one handler reads it.
public final class MultipartFormReader {
    /// Bounds on what a form may hold.
    public struct Limits: Sendable {
        /// Parts at most. Default 100.
        public var maxParts: Int
        /// Bytes of a part without a filename (a field) at most. Default 64 KiB.
        public var maxFieldSize: Int
        /// Bytes of a file part at most. Default: no limit but the route's.
        public var maxFileSize: Int
        /// Bytes of one part's headers (and of what precedes the first part) at most.
        /// Default 16 KiB.
        public var maxHeaderSize: Int

        /// Creates limits; see each property for its default.
        public init(maxParts: Int = 100, maxFieldSize: Int = 64 * 1024, maxFileSize: Int = .max, maxHeaderSize: Int = 16 * 1024) {
            self.maxParts = maxParts
            self.maxFieldSize = maxFieldSize
            self.maxFileSize = maxFileSize
            self.maxHeaderSize = maxHeaderSize
        }
    }

    /// What the parser reported, waiting to be taken.
    enum Event {
        case header(name: String, value: String)
        case body(ByteBuffer)
        case partEnd
    }

    let limits: Limits
    private let body: RequestBodyStream
    private let parser: MultipartParser
    private var events = Deque<Event>()
    /// Input not yet fed to the parser.
    private var pending = ByteBuffer()
    private var inputEnded = false
    /// Whether the parser is between parts (in headers or the preamble), and the bytes fed
    /// while it was: bounded by ``Limits/maxHeaderSize``.
    private var betweenParts = true
    private var headerBytes = 0
    /// Parts returned by ``nextPart()``.
    private var partsStarted = 0
    /// Parts the parser found, and whether it is inside one (between its first header and
    /// its closing boundary).
    private var partsParsed = 0
    private var insidePart = false
    /// The part being read; `nil` between parts.
    private var current: MultipartPart?
    private static let feedSize = 16 * 1024

    /// Starts reading `request`'s body as `multipart/form-data`.
    /// - Throws: ``HTTPError`` `415` when the body is not `multipart/form-data`, `400` when its
    ///   boundary is missing or malformed.
    public convenience init(_ request: Request, limits: Limits = Limits()) throws {
        try self.init(contentType: request.header("content-type"), body: request.bodyStream, limits: limits)
    }

    init(contentType: String?, body: RequestBodyStream, limits: Limits) throws {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw HTTPError(.unsupportedMediaType, "expected a multipart/form-data body")
        }
        let boundary = Self.parameters(contentType)["boundary"] ?? ""
        // RFC 2046 §5.1.1: 1 to 70 characters, no trailing space.
        guard (1...70).contains(boundary.utf8.count), !boundary.hasSuffix(" "),
              boundary.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw HTTPError(.badRequest, "the multipart/form-data boundary is missing or malformed")
        }
        self.limits = limits
        self.body = body
        parser = MultipartParser(boundary: boundary)
        parser.onHeader = { [unowned self] name, value in
            if !insidePart {
                insidePart = true
                partsParsed += 1
            }
            events.append(.header(name: name, value: value))
        }
        parser.onBody = { [unowned self] buffer in
            betweenParts = false
            events.append(.body(buffer))
        }
        parser.onPartComplete = { [unowned self] in
            betweenParts = true
            headerBytes = 0
            insidePart = false
            events.append(.partEnd)
        }
    }

    // MARK: blocking

    /// The next part, blocking until its headers arrived (what is left of the previous part
    /// is skipped); `nil` after the last.
    /// - Throws: ``HTTPError`` (`400` malformed, `413` too many parts); ``RequestBodyError``.
    public func nextPart() throws -> MultipartPart? {
        try skipCurrent { try fill() }
        return try beginPart { try fill() }
    }

    /// The next event, blocking while none is parsed; `nil` at the end of the body.
    func nextEvent() throws -> Event? {
        while events.isEmpty { guard try fill() else { return nil } }
        return events.popFirst()
    }

    private func fill() throws -> Bool {
        if pending.readableBytes == 0, !inputEnded {
            if let chunk = try body.read() { pending = chunk } else { inputEnded = true }
        }
        return try feed()
    }

    // MARK: async

    /// The next part, suspending until its headers arrived; `nil` after the last.
    /// - Throws: ``HTTPError`` (`400`, `413`); ``RequestBodyError``.
    public func nextPart() async throws -> MultipartPart? {
        while current != nil {
            guard let event = try await nextEvent() else { break }
            if case .partEnd = event { current = nil }
        }
        current = nil
        while !hasPartStart() { guard try await fill() else { break } }
        return try beginPart { false }
    }

    /// The next event, suspending while none is parsed; `nil` at the end of the body.
    func nextEvent() async throws -> Event? {
        while events.isEmpty { guard try await fill() else { return nil } }
        return events.popFirst()
    }

    private func fill() async throws -> Bool {
        if pending.readableBytes == 0, !inputEnded {
            if let chunk = try await body.next() { pending = chunk } else { inputEnded = true }
        }
        return try feed()
    }

    // MARK: parsing

    /// Feeds the parser up to ``feedSize`` bytes; `false` when the input is over (checked
    /// for a proper end).
    private func feed() throws -> Bool {
        guard pending.readableBytes > 0 else {
            guard inputEnded else { return true }
            if partsParsed == 0 { throw HTTPError(.badRequest, "no multipart part found: the boundary does not match the body") }
            if insidePart {
                throw HTTPError(.badRequest, "the multipart body ends inside a part")
            }
            return false
        }
        guard let slice = pending.readSlice(length: min(Self.feedSize, pending.readableBytes)) else { return true }
        if betweenParts {
            headerBytes += slice.readableBytes
            if headerBytes > limits.maxHeaderSize + Self.feedSize {
                throw HTTPError(.badRequest, "no multipart part found within \(limits.maxHeaderSize) bytes: the boundary does not match the body, or part headers are too large")
            }
        }
        do {
            try parser.execute(slice)
        } catch {
            throw HTTPError(.badRequest, "malformed multipart body")
        }
        return true
    }

    private func skipCurrent(_ fill: () throws -> Bool) throws {
        while current != nil {
            guard let event = try nextEvent() else { break }
            if case .partEnd = event { current = nil }
        }
        current = nil
        while !hasPartStart() { guard try fill() else { break } }
    }

    /// Whether the next part's headers are complete in ``events``: a body or an end follows them.
    private func hasPartStart() -> Bool {
        var sawHeader = false
        for event in events {
            switch event {
            case .header: sawHeader = true
            case .body, .partEnd: return sawHeader
            }
        }
        return false
    }

    private func beginPart(_ fill: () throws -> Bool) throws -> MultipartPart? {
        var headers = HTTPHeaders()
        while case .header(let name, let value)? = events.first {
            events.removeFirst()
            headers.add(name: name, value: value)
        }
        guard !headers.isEmpty else { return nil }
        partsStarted += 1
        if partsStarted > limits.maxParts {
            throw HTTPError(.payloadTooLarge, "the form has more than \(limits.maxParts) parts")
        }
        let part = MultipartPart(headers: headers, reader: self, number: partsStarted)
        current = part
        return part
    }

    /// The part's next bytes for ``MultipartPart``; `nil` at its end.
    func partBytes(_ part: MultipartPart) throws -> ByteBuffer? {
        guard current === part else { return nil }
        guard let event = try nextEvent() else { return nil }
        return try take(event, part: part)
    }

    func partBytes(_ part: MultipartPart) async throws -> ByteBuffer? {
        guard current === part else { return nil }
        guard let event = try await nextEvent() else { return nil }
        return try take(event, part: part)
    }

    private func take(_ event: Event, part: MultipartPart) throws -> ByteBuffer? {
        switch event {
        case .body(let bytes):
            part.size += bytes.readableBytes
            let limit = part.filename == nil ? limits.maxFieldSize : limits.maxFileSize
            if part.size > limit {
                throw HTTPError(.payloadTooLarge, "the part \(part.name.map { "'\($0)'" } ?? "#\(part.number)") exceeds \(limit) bytes")
            }
            return bytes
        case .partEnd, .header:
            current = nil
            return nil
        }
    }

    /// `key=value` parameters of a header value (`form-data; name="a"; filename="b.txt"`);
    /// keys lowercased, quotes removed.
    static func parameters(_ value: String) -> [String: String] {
        var result: [String: String] = [:]
        for item in value.split(separator: ";").dropFirst() {
            guard let equals = item.firstIndex(of: "=") else { continue }
            let key = item[..<equals].trimmingSpaces().lowercased()
            var raw = item[item.index(after: equals)...].trimmingSpaces()
            if raw.count >= 2, raw.hasPrefix("\""), raw.hasSuffix("\"") { raw = String(raw.dropFirst().dropLast()) }
            result[key] = raw
        }
        return result
    }
}

/// One part of a `multipart/form-data` body: its headers, then its bytes, read while they
/// arrive (``read()``, or `for try await chunk in part` in `async` code). A part can be read
/// only until the reader moves to the next part.
public final class MultipartPart {
    /// The part's headers (`Content-Disposition`, `Content-Type`).
    public let headers: HTTPHeaders
    /// The form field's name (`Content-Disposition: form-data; name="…"`).
    public let name: String?
    /// The file's name, for a file part; `nil` for a plain field.
    public let filename: String?
    /// The part's `Content-Type`, if sent.
    public var contentType: String? { headers.first(name: "content-type") }
    /// Its place in the form, from 1.
    public let number: Int
    /// Bytes read so far.
    public internal(set) var size = 0
    private unowned let reader: MultipartFormReader

    init(headers: HTTPHeaders, reader: MultipartFormReader, number: Int) {
        self.headers = headers
        self.reader = reader
        self.number = number
        let disposition = MultipartFormReader.parameters(headers.first(name: "content-disposition") ?? "")
        name = disposition["name"]
        filename = disposition["filename"]
    }

    /// The part's next bytes, blocking until they arrive; `nil` at its end.
    /// - Throws: ``HTTPError`` `413` past the field or file limit, `400` malformed;
    ///   ``RequestBodyError``.
    public func read() throws -> ByteBuffer? { try reader.partBytes(self) }

    /// The part's next bytes, suspending until they arrive; `nil` at its end.
    public func read() async throws -> ByteBuffer? { try await reader.partBytes(self) }

    /// The whole part as UTF-8 text (a field), blocking.
    /// - Throws: ``HTTPError`` `413` past ``MultipartFormReader/Limits/maxFieldSize`` (or the
    ///   file limit for a file part); what ``read()`` throws.
    public func text() throws -> String {
        var all = ByteBuffer()
        while var chunk = try read() { all.writeBuffer(&chunk) }
        return String(buffer: all)
    }

    /// The whole part as UTF-8 text (a field), suspending.
    public func text() async throws -> String {
        var all = ByteBuffer()
        while var chunk = try await read() { all.writeBuffer(&chunk) }
        return String(buffer: all)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
