import Logging

/// Writes the access log (`access-log.enabled`): one line per answered request, in the
/// configured ``AccessLogFormat``, at `info` to its logger (by default `brigade.access`;
/// the process's `LoggingSystem` decides where lines go).
///
/// Runs on the thread that finished the request (see ``RequestObserver``): formatting costs
/// a few microseconds, and the log handler's own cost comes on top.
struct AccessLogObserver: RequestObserver {
    let format: AccessLogFormat
    let logger: Logger

    func requestCompleted(_ record: RequestRecord) {
        guard logger.logLevel <= .info else { return }
        let received = WallClockTime.now.minus(record.timings.total)
        logger.info(Logger.Message(stringLiteral: format.line(for: record, received: received)))
    }
}
