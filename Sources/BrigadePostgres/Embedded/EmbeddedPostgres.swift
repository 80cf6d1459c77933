#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A throwaway PostgreSQL cluster for development and tests, started from the installed
/// binaries (`initdb`, `pg_ctl`).
///
/// The cluster lives in a fresh directory under `/tmp`, listens only on a unix socket in a
/// private directory (no TCP port is opened; the port number names the socket), runs with
/// `fsync` off, and is stopped and deleted by ``stop()`` or, at the latest, when the process
/// exits. When the process runs as root, the server runs as the `postgres` system user
/// (PostgreSQL refuses to run as root).
///
/// ```swift
/// let postgres = try EmbeddedPostgres.start()
/// let pool = try PostgresPool(configuration: .init(url: postgres.url))
/// ```
public final class EmbeddedPostgres: Sendable {
    /// How to start the cluster.
    public struct Configuration: Sendable {
        /// The folder holding `initdb` and `pg_ctl`. Default: `$PGBIN`, else
        /// `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`.
        public var binDirectory: String?
        /// The port (names the socket file). Default: a free port.
        public var port: Int?
        /// The database to create and connect to. Default `postgres` (always exists).
        public var database: String
        /// Server settings passed with `-c`. Default: no fsync, no synchronous commit, no full
        /// page writes, `max_connections` 200.
        public var serverSettings: [String: String]
        /// The folder under which the cluster's directory is made. Default `/tmp` (it must
        /// be reachable by the `postgres` user when running as root).
        public var parentDirectory: String

        /// Creates a configuration; see each property for its default.
        public init(
            binDirectory: String? = nil,
            port: Int? = nil,
            database: String = "postgres",
            serverSettings: [String: String] = [
                "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200",
            ],
            parentDirectory: String = "/tmp"
        ) {
            self.binDirectory = binDirectory
            self.port = port
            self.database = database
            self.serverSettings = serverSettings
            self.parentDirectory = parentDirectory
        }
    }

    /// The cluster's directory (data, socket and logs).
    public let directory: String
    /// The directory holding the server's unix socket (libpq's `host`).
    public let socketDirectory: String
    /// The port number.
    public let port: Int
    /// The database ``url`` connects to.
    public let database: String
    /// The user to connect as (`postgres`, trusted without a password).
    public let user = "postgres"
    let binDirectory: String
    let runAsPostgres: Bool
    private let stopped = Mutex(false)

    /// A libpq URL for ``database``: `postgresql://postgres@/postgres?host=/tmp/…&port=…`.
    public var url: String { url(database: database) }

    /// A libpq URL for another database of the cluster.
    public func url(database: String) -> String {
        "postgresql://\(user)@/\(database)?host=\(socketDirectory)&port=\(port)"
    }

    /// A conninfo string (`host=… port=… dbname=… user=…`) for a database of the cluster.
    public func conninfo(database: String? = nil) -> String {
        "host=\(socketDirectory) port=\(port) dbname=\(database ?? self.database) user=\(user)"
    }

    /// Where the server writes its log.
    public var logFile: String { directory + "/server.log" }

    private init(directory: String, port: Int, database: String, binDirectory: String, runAsPostgres: Bool) {
        self.directory = directory
        self.socketDirectory = directory + "/sock"
        self.port = port
        self.database = database
        self.binDirectory = binDirectory
        self.runAsPostgres = runAsPostgres
    }

    /// Creates, starts and waits for a new cluster (about one second).
    /// - Parameter configuration: Where the binaries are, which port, which settings.
    /// - Returns: The running cluster.
    /// - Throws: ``EmbeddedPostgresError`` with the tool's output when a step fails.
    public static func start(_ configuration: Configuration = Configuration()) throws -> EmbeddedPostgres {
        let bin = try configuration.binDirectory ?? findBinDirectory(scratch: configuration.parentDirectory)
        let asRoot = getuid() == 0
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let directory = configuration.parentDirectory + "/brigade-pg-\(getpid())-\(suffix)"
        let port = try configuration.port ?? freePort()
        let server = EmbeddedPostgres(
            directory: directory, port: port, database: configuration.database, binDirectory: bin, runAsPostgres: asRoot)
        guard mkdir(directory, 0o755) == 0, mkdir(server.socketDirectory, 0o755) == 0 else {
            throw EmbeddedPostgresError("cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        EmbeddedPostgresRegistry.register(server)
        do {
            if asRoot { try chownToPostgres([directory, server.socketDirectory]) }
            let initLog = directory + "/initdb.log"
            let initStatus = server.runAsServerUser(
                [bin + "/initdb", "-D", server.dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                output: initLog)
            guard initStatus == 0 else {
                throw EmbeddedPostgresError("initdb failed (\(initStatus)): \(ProcessRunner.read(initLog))")
            }
            try server.startServer(settings: configuration.serverSettings)
            if configuration.database != "postgres" { try server.createDatabase(configuration.database) }
            return server
        } catch {
            server.stop()
            throw error
        }
    }

    /// The process-wide shared cluster, started on first use and stopped at exit. Tests and
    /// examples without a `DATABASE_URL` use it; give each user its own database
    /// (``createDatabase(_:)``) to keep them independent.
    /// - Throws: ``EmbeddedPostgresError`` when it could not start (every call rethrows it).
    public static func shared() throws -> EmbeddedPostgres {
        try sharedInstance.withLock { state in
            if let state { return try state.get() }
            let result = Result { try EmbeddedPostgres.start() }
            state = result
            return try result.get()
        }
    }

    private static let sharedInstance = Mutex<Result<EmbeddedPostgres, any Error>?>(nil)

    /// Creates a database (owned by `postgres`) in the cluster.
    /// - Parameter name: The database's name.
    /// - Throws: ``PostgresError`` (`42P04` when it exists).
    public func createDatabase(_ name: String) throws {
        let connection = try PostgresConnection(url: url(database: "postgres"))
        defer { connection.close() }
        try connection.executeScript("CREATE DATABASE \(identifier: name)")
    }

    /// Stops the server (fast shutdown: sessions are disconnected) and starts it again, on
    /// the same port and socket. Existing connections break; new ones work once it returns.
    /// - Throws: ``EmbeddedPostgresError`` when it does not come back.
    public func restart() throws {
        pause()
        try resume()
    }

    /// Stops the server (fast shutdown) but keeps its data: connections break and new ones
    /// are refused until ``resume()`` — a database outage, for tests.
    public func pause() {
        let stopLog = directory + "/stop.log"
        _ = runAsServerUser([binDirectory + "/pg_ctl", "-D", dataDirectory, "-m", "fast", "-w", "stop"], output: stopLog)
    }

    /// Starts the server stopped by ``pause()`` again, on the same port and socket.
    /// - Throws: ``EmbeddedPostgresError`` when it does not come back.
    public func resume() throws {
        try startServer(settings: Configuration().serverSettings)
    }

    /// Stops the server and deletes its directory. Safe to call more than once.
    public func stop() {
        let first = stopped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        EmbeddedPostgresRegistry.unregister(directory)
        Self.stopAndRemove(binDirectory: binDirectory, dataDirectory: dataDirectory, directory: directory, asPostgres: runAsPostgres)
    }

    deinit { stop() }

    // MARK: internals

    var dataDirectory: String { directory + "/data" }

    private func startServer(settings: [String: String]) throws {
        var options = "-p \(port) -k \(socketDirectory) -c listen_addresses=''"
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) { options += " -c \(key)=\(value)" }
        let startLog = directory + "/start.log"
        let status = runAsServerUser(
            [binDirectory + "/pg_ctl", "-D", dataDirectory, "-l", logFile, "-w", "-t", "30", "-o", options, "start"],
            output: startLog)
        guard status == 0 else {
            throw EmbeddedPostgresError(
                "pg_ctl start failed (\(status)): \(ProcessRunner.read(startLog)) \(ProcessRunner.read(logFile))")
        }
    }

    private func runAsServerUser(_ arguments: [String], output: String) -> Int32 {
        ProcessRunner.run(runAsPostgres ? ["runuser", "-u", "postgres", "--"] + arguments : arguments, output: output)
    }

    static func stopAndRemove(binDirectory: String, dataDirectory: String, directory: String, asPostgres: Bool) {
        let stop = [binDirectory + "/pg_ctl", "-D", dataDirectory, "-m", "immediate", "-w", "stop"]
        if access(dataDirectory + "/postmaster.pid", F_OK) == 0 {
            ProcessRunner.run(asPostgres ? ["runuser", "-u", "postgres", "--"] + stop : stop)
        }
        ProcessRunner.run(["rm", "-rf", directory])
    }

    private static func findBinDirectory(scratch: String) throws -> String {
        if let env = getenv("PGBIN") {
            let path = String(cString: env)
            if access(path + "/initdb", X_OK) == 0 { return path }
        }
        if let path = ProcessRunner.firstLine(of: ["pg_config", "--bindir"], scratch: scratch), access(path + "/initdb", X_OK) == 0 {
            return path
        }
        for version in (10...30).reversed() {
            let path = "/usr/lib/postgresql/\(version)/bin"
            if access(path + "/initdb", X_OK) == 0 { return path }
        }
        throw EmbeddedPostgresError("no PostgreSQL binaries found: set PGBIN or install postgresql (initdb, pg_ctl)")
    }

    private static func chownToPostgres(_ paths: [String]) throws {
        guard let entry = getpwnam("postgres") else {
            throw EmbeddedPostgresError("running as root needs the 'postgres' system user (apt install postgresql)")
        }
        for path in paths where chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) != 0 {
            throw EmbeddedPostgresError("cannot chown \(path) to postgres: \(String(cString: strerror(errno)))")
        }
    }

    /// A port nobody listens on now, from the kernel (bind to port 0 on loopback).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw EmbeddedPostgresError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw EmbeddedPostgresError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw EmbeddedPostgresError("getsockname() failed") }
        let port = Int(UInt16(bigEndian: address.sin_port))
        // Stay clear of ports other clusters on this machine are known to use.
        if port == 5432 || port == 55432 { return try freePort() }
        return port
    }
}

/// Starting or stopping an ``EmbeddedPostgres`` failed.
public struct EmbeddedPostgresError: Error, Sendable, CustomStringConvertible {
    /// What failed, with the tool's output.
    public let message: String
    init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// The clusters still running, stopped by an `atexit` handler.
enum EmbeddedPostgresRegistry {
    struct Entry: Sendable {
        let binDirectory: String
        let dataDirectory: String
        let directory: String
        let asPostgres: Bool
    }

    static let running = Mutex<[String: Entry]>([:])
    private static let installHandler: Void = {
        atexit {
            let entries = EmbeddedPostgresRegistry.running.withLock { entries in
                defer { entries.removeAll() }
                return Array(entries.values)
            }
            for entry in entries {
                EmbeddedPostgres.stopAndRemove(
                    binDirectory: entry.binDirectory, dataDirectory: entry.dataDirectory,
                    directory: entry.directory, asPostgres: entry.asPostgres)
            }
        }
    }()

    static func register(_ server: EmbeddedPostgres) {
        installHandler
        running.withLock {
            $0[server.directory] = Entry(
                binDirectory: server.binDirectory, dataDirectory: server.dataDirectory,
                directory: server.directory, asPostgres: server.runAsPostgres)
        }
    }

    static func unregister(_ directory: String) {
        _ = running.withLock { $0.removeValue(forKey: directory) }
    }
}
