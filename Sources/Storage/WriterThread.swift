import NIOPosix

/// The SQLite writer's own thread: the thread pool on which SQLiteNIO runs the writer connection's
/// statements, and a task executor that runs a write transaction's Swift code on that same thread.
///
/// Without it every statement of a transaction is two thread hand-offs: the task suspends, a pool thread is
/// woken to run the statement, and a thread of the global executor is woken to resume the task. With the
/// transaction's task preferring this executor, the task resumes on the pool thread that ran the statement,
/// and its next statement is queued to that same thread, which takes it up as soon as the current work item
/// returns — no thread is put to sleep or woken between the statements of a transaction. (Measured: the
/// booking benchmark's ≈ 24 statements per transaction cost ≈ 3.4 ms of wall time per booking, mostly in
/// wake-ups, before this.)
final class WriterThread: TaskExecutor {
    /// One thread, so the connection's statements and the transaction's code take turns on it in order.
    let pool: NIOThreadPool

    init() {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        // Once the pool is shut down `submit` runs the item at once on the caller's thread (as cancelled):
        // the job still runs, so no task is left suspended.
        pool.submit { _ in job.runSynchronously(on: executor) }
    }

    /// Stops the thread once the writer connection is closed.
    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
