import CoreMetrics
import Synchronization

/// Streamed responses in the metrics: `brigade_streams_open` (gauge),
/// `brigade_stream_parts_total` (events, lines or writes sent), `brigade_stream_bytes_total`
/// (body bytes of ended streams) and `brigade_stream_dropped_total` (parts a slow subscriber's
/// stream dropped to make room, policy `dropOldest`).
final class StreamMetrics: Sendable {
    private let open = Atomic<Int>(0)
    private let openGauge: CoreMetrics.Gauge
    private let parts: CoreMetrics.Counter
    private let bytes: CoreMetrics.Counter
    private let drops: CoreMetrics.Counter

    init(factory: any MetricsFactory) {
        openGauge = CoreMetrics.Gauge(label: "brigade_streams_open", factory: factory)
        parts = CoreMetrics.Counter(label: "brigade_stream_parts_total", factory: factory)
        bytes = CoreMetrics.Counter(label: "brigade_stream_bytes_total", factory: factory)
        drops = CoreMetrics.Counter(label: "brigade_stream_dropped_total", factory: factory)
    }

    /// Streams open now.
    var openStreams: Int { open.load(ordering: .relaxed) }

    func opened() {
        openGauge.record(open.wrappingAdd(1, ordering: .relaxed).newValue)
    }

    func closed(bytes count: Int) {
        openGauge.record(open.wrappingSubtract(1, ordering: .relaxed).newValue)
        if count > 0 { bytes.increment(by: Int64(count)) }
    }

    func sent(parts count: Int) {
        parts.increment(by: Int64(count))
    }

    func dropped(_ count: Int) {
        drops.increment(by: Int64(count))
    }
}
