/// A small fixed pool of connections handed out one task at a time.
///
/// Used for SQLite's reader connections, which serve concurrent reads in WAL mode (the one writer
/// connection has `SQLiteGroupWriter`).
actor AsyncConnectionPool<Connection: Sendable> {
    private var idle: [Connection]
    private var waiters: [CheckedContinuation<Connection, Never>] = []
    private var all: [Connection]

    init(connections: [Connection]) {
        self.idle = connections
        self.all = connections
    }

    /// Takes a connection, waiting for one to be returned when all are in use.
    func acquire() async -> Connection {
        if let connection = idle.popLast() {
            return connection
        }
        return await withCheckedContinuation { continuation in
            waiters.append(continuation)
        }
    }

    /// Returns a connection to the pool, waking the longest waiter.
    func release(_ connection: Connection) {
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            waiters.removeFirst().resume(returning: connection)
        }
    }

    /// Every connection the pool owns, for closing at shutdown.
    func connections() -> [Connection] { all }
}
