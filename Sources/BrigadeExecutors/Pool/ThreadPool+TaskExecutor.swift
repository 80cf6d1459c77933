import Dispatch

extension ThreadPool: TaskExecutor {
    /// Runs a job of a Swift task that prefers this pool (`Task(executorPreference: pool)`,
    /// SE-0417): the task's synchronous stretches run on the pool's threads — under the pool's
    /// scheduling policy — and an `await` that suspends it holds no thread; when it resumes,
    /// its next job comes back here.
    ///
    /// A job continues work the pool already admitted: it is never refused for a full queue.
    /// After a shutdown it runs on a global dispatch queue rather than never.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        do {
            _ = try submit(
                onDiscard: { _ in DispatchQueue.global().async { job.runSynchronously(on: executor) } },
                bypassingQueueLimit: true, callerMayRun: false, capturingContext: false
            ) {
                job.runSynchronously(on: executor)
            }
        } catch {
            DispatchQueue.global().async { job.runSynchronously(on: executor) }
        }
    }
}
