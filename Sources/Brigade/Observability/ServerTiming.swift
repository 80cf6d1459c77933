/// The W3C `Server-Timing` header the pipeline adds to every response (`server.server-timing`):
///
/// ```
/// Server-Timing: front-queue;dur=0.031, front;dur=0.120, back-queue;dur=0.010, back;dur=100.204, render;dur=0.050, total;dur=100.415
/// ```
/// Durations are milliseconds with three decimals (rounded to the microsecond), in the order
/// `front-queue`, `front`, `back-queue`, `back`, `async`, `render`, `total`. A part that is
/// zero at that precision — one the request did not pass through, such as `back` for a plain
/// handler or `async` for a `Callable` — is left out; `total` is always there. The parts add
/// up to `total` up to that rounding.
enum ServerTiming {
    /// The header's name.
    static let headerName = "server-timing"

    /// The longest value: seven entries of at most 36 bytes each (`, `, `front-queue;dur=`,
    /// and up to 18 for the largest `UInt64` of nanoseconds as milliseconds).
    private static let capacity = 7 * 36

    /// The header value for these timings.
    ///
    /// On every response: written into one string allocation, digit by digit, with no
    /// floating point and no intermediate strings.
    static func value(_ nanoseconds: TierNanoseconds) -> String {
        String(unsafeUninitializedCapacity: capacity) { buffer in
            var count = 0
            func append(_ name: StaticString, _ nanos: UInt64) {
                if count > 0 {
                    buffer[count] = UInt8(ascii: ","); buffer[count + 1] = UInt8(ascii: " ")
                    count += 2
                }
                name.withUTF8Buffer { bytes in
                    for byte in bytes { buffer[count] = byte; count += 1 }
                }
                for byte in ";dur=".utf8 { buffer[count] = byte; count += 1 }
                count += writeMilliseconds(nanos, into: UnsafeMutableBufferPointer(rebasing: buffer[count...]))
            }
            // Half a microsecond rounds to 0.001 ms: anything less would print as 0.000.
            if nanoseconds.frontQueue >= 500 { append("front-queue", nanoseconds.frontQueue) }
            if nanoseconds.front >= 500 { append("front", nanoseconds.front) }
            if nanoseconds.backQueue >= 500 { append("back-queue", nanoseconds.backQueue) }
            if nanoseconds.back >= 500 { append("back", nanoseconds.back) }
            if nanoseconds.asyncWait >= 500 { append("async", nanoseconds.asyncWait) }
            if nanoseconds.render >= 500 { append("render", nanoseconds.render) }
            append("total", nanoseconds.total)
            return count
        }
    }

    /// Writes `nanos` as milliseconds with three decimals (`100.204`), rounded to the
    /// microsecond; returns the bytes written (at most 18).
    static func writeMilliseconds(_ nanos: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let micros = nanos / 1000 + (nanos % 1000 >= 500 ? 1 : 0)
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { scratch in
            // Digits of the microseconds, least significant first; at least four (0.000).
            var remaining = micros
            var length = 0
            repeat {
                scratch[length] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
                length += 1
            } while remaining > 0 || length < 4
            var count = 0
            for index in stride(from: length - 1, through: 0, by: -1) {
                buffer[count] = scratch[index]
                count += 1
                if index == 3 {
                    buffer[count] = UInt8(ascii: ".")
                    count += 1
                }
            }
            return count
        }
    }
}
