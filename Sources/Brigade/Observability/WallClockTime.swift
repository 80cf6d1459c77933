#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall-clock instant (`CLOCK_REALTIME`), for the access log's time stamps.
struct WallClockTime: Sendable {
    /// Seconds since the Unix epoch.
    let seconds: Int
    /// Nanoseconds within the second.
    let nanoseconds: Int

    /// Now.
    static var now: WallClockTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return WallClockTime(seconds: Int(spec.tv_sec), nanoseconds: Int(spec.tv_nsec))
    }

    /// This instant minus `duration` (a request's arrival, from its end and its total).
    func minus(_ duration: Duration) -> WallClockTime {
        let nanos = Int(clamping: duration.clampedNanoseconds)
        var seconds = self.seconds - nanos / 1_000_000_000
        var nanoseconds = self.nanoseconds - nanos % 1_000_000_000
        if nanoseconds < 0 {
            nanoseconds += 1_000_000_000
            seconds -= 1
        }
        return WallClockTime(seconds: seconds, nanoseconds: nanoseconds)
    }

    private var parts: tm {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return parts
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func pad(_ value: Int32, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// `10/Oct/2025:13:55:36 +0000` (UTC).
    var commonLogFormat: String {
        let t = parts
        return "\(Self.pad(t.tm_mday, 2))/\(Self.months[Int(t.tm_mon)])/\(t.tm_year + 1900):"
            + "\(Self.pad(t.tm_hour, 2)):\(Self.pad(t.tm_min, 2)):\(Self.pad(t.tm_sec, 2)) +0000"
    }

    /// `2025-10-10T13:55:36.123Z`.
    var iso8601: String {
        let t = parts
        return "\(t.tm_year + 1900)-\(Self.pad(t.tm_mon + 1, 2))-\(Self.pad(t.tm_mday, 2))T"
            + "\(Self.pad(t.tm_hour, 2)):\(Self.pad(t.tm_min, 2)):\(Self.pad(t.tm_sec, 2)).\(Self.pad(Int32(nanoseconds / 1_000_000), 3))Z"
    }
}
