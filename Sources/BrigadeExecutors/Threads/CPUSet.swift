#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The CPUs this process may run on.
public enum CPUSet {
    /// How many CPUs this process may run on: its affinity mask (`taskset`, a container's
    /// cpuset) on Linux, the online CPUs elsewhere. At least 1. Read once.
    public static let available: Int = {
        #if os(Linux)
        if let count = allowedFromProcStatus(), count > 0 { return count }
        #endif
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }()

    #if os(Linux)
    /// `Cpus_allowed_list` of `/proc/self/status` (`0-3,8`), counted. `sched_getaffinity`
    /// needs `_GNU_SOURCE`, which Swift's Glibc module does not define.
    private static func allowedFromProcStatus() -> Int? {
        let fd = open("/proc/self/status", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &chunk, chunk.count)
            guard count > 0 else { break }
            bytes += chunk.prefix(count)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        return count(list: line.dropFirst("Cpus_allowed_list:".count))
    }
    #endif

    /// Counts the CPUs of a list such as `0-3,8`.
    static func count<S: StringProtocol>(list: S) -> Int? {
        var total = 0
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int(String($0.filter { !$0.isWhitespace })) }
            switch bounds.count {
            case 1:
                guard bounds[0] != nil else { return nil }
                total += 1
            case 2:
                guard let low = bounds[0], let high = bounds[1], high >= low else { return nil }
                total += high - low + 1
            default:
                return nil
            }
        }
        return total
    }
}
