import Dispatch
import Foundation
import Synchronization

/// Waits for the first of some Unix signals (SIGINT, SIGTERM), with Dispatch signal sources.
enum ShutdownSignal {
    /// Suspends until one of `signals` arrives; their default actions are disabled.
    /// Call it once per process.
    /// - Returns: The signal that arrived.
    static func wait(for signals: [Int32]) async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let pending = Mutex<CheckedContinuation<Int32, Never>?>(continuation)
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    let continuation = pending.withLock { pending in
                        defer { pending = nil }
                        return pending
                    }
                    continuation?.resume(returning: number)
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// The sources must outlive the wait, so they are kept for the process's life. Only
    /// ``wait(for:)`` touches this, once, on one thread, before any handler can run.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
}
