import Synchronization

/// Request ids: a client's sane `X-Request-Id`, or `<process prefix>-<counter>`.
struct RequestIDGenerator: Sendable {
    private let prefix: String
    private let counter = Counter()

    private final class Counter: Sendable {
        let value = Atomic<UInt64>(0)
    }

    init() {
        prefix = String(UInt32.random(in: 0x1000_0000...UInt32.max), radix: 16)
    }

    func next() -> String {
        let number = counter.value.wrappingAdd(1, ordering: .relaxed).newValue
        return "\(prefix)-\(String(number, radix: 16))"
    }

    /// The client's id when it is 1…128 visible ASCII characters; a new one otherwise.
    func id(for headers: HTTPHeaders) -> String {
        if let sent = headers.first(name: "x-request-id"), !sent.isEmpty, sent.utf8.count <= 128,
           sent.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return sent
        }
        return next()
    }
}

import BrigadeHTTP
