import BrigadeExecutors
import BrigadePostgres
import Foundation
import Logging

/// Applies versioned SQL migrations with Flyway's semantics.
///
/// Migrations are the files `V<version>__<description>.sql` of one folder (the top-level
/// `Migrations/` by default), applied in numeric version order, each in its own transaction,
/// and recorded in a history table with their SHA-256 checksum. A session advisory lock,
/// taken before the history is read, makes instances that start together apply each
/// migration once: the others wait, then find nothing pending.
///
/// Before applying anything, the applied history is validated: a file edited or deleted
/// after it was applied stops the run with an error naming it.
///
/// ```swift
/// let migrator = Migrator(configuration: .init(directory: "Migrations"))
/// try pool.withConnection { try migrator.migrate(on: $0) }
/// ```
///
/// Statements that cannot run in a transaction (`CREATE INDEX CONCURRENTLY`) are not supported.
public struct Migrator: Sendable {
    /// Where migrations are and where their history goes.
    public struct Configuration: Sendable, Hashable {
        /// The folders of `V<version>__<description>.sql` files, read together (a version
        /// may appear in one of them only). Key `migrations.locations` (`MIGRATIONS_LOCATIONS`),
        /// comma-separated, as Flyway's `locations`. Default `Migrations`.
        ///
        /// A relative folder is looked for in the working directory, then beside the
        /// executable and in the folders above it — so `.build/release/app` started from
        /// elsewhere still finds the project's `Migrations/` (see ``MigrationLocation``).
        public var locations: [String]
        /// The history table (in the connection's current schema). Key `migrations.table`.
        /// Default `brigade_schema_history`.
        public var table: String
        /// The key of the session advisory lock taken while migrating. Default: derived from
        /// ``table``, so migrators of one table exclude each other.
        public var lockKey: Int64?
        /// The deprecated key the locations were read from (`migrations.directory`,
        /// `migrations.path`), if one was; the migrator warns about it.
        public var deprecatedKey: String?

        /// The first of ``locations``: for code that migrates one folder.
        public var directory: String {
            get { locations.first ?? "Migrations" }
            set { locations = [newValue] }
        }

        /// Creates a configuration for one folder; see each property for its default.
        public init(directory: String = "Migrations", table: String = "brigade_schema_history", lockKey: Int64? = nil) {
            self.init(locations: [directory], table: table, lockKey: lockKey)
        }

        /// Creates a configuration for several folders.
        public init(locations: [String], table: String = "brigade_schema_history", lockKey: Int64? = nil) {
            self.locations = locations
            self.table = table
            self.lockKey = lockKey
        }

        /// Reads `migrations.locations` and `migrations.table`. The keys earlier versions read,
        /// `migrations.directory` and `migrations.path`, are still accepted when
        /// `migrations.locations` is not set (``deprecatedKey`` says which).
        /// - Throws: ``ConfigurationError`` for an empty list or table name.
        public init(keys: ConfigKeys) throws(ConfigurationError) {
            var text = keys.string("migrations.locations")
            var deprecated: String?
            if text == nil {
                for key in ["migrations.directory", "migrations.path"] {
                    if let value = keys.string(key) {
                        text = value
                        deprecated = key
                        break
                    }
                }
            }
            let locations = (text ?? "Migrations").split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .map { $0.hasPrefix("filesystem:") ? String($0.dropFirst("filesystem:".count)) : $0 }
                .filter { !$0.isEmpty }
            guard !locations.isEmpty else {
                throw ConfigurationError(key: "migrations.locations", "migrations.locations must name at least one folder, got '\(text ?? "")'")
            }
            let table = keys.string("migrations.table") ?? "brigade_schema_history"
            guard !table.isEmpty else { throw ConfigurationError("migrations.table must not be empty") }
            self.init(locations: locations, table: table)
            self.deprecatedKey = deprecated
        }

        var effectiveLockKey: Int64 {
            if let lockKey { return lockKey }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
            for byte in ("brigade-migrations:" + table).utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            return Int64(bitPattern: hash)
        }
    }

    /// The settings.
    public let configuration: Configuration
    private let logger: Logger

    /// Creates a migrator.
    /// - Parameters:
    ///   - configuration: The folder and history table.
    ///   - logger: Where each applied migration is logged.
    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "brigade.migrations")) {
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: files

    /// Reads and parses the migration files, sorted by version.
    ///
    /// Files not ending in `.sql` and hidden files are ignored.
    /// - Returns: The migrations.
    /// - Throws: ``MigrationError`` for an unreadable folder, a badly named file or two files
    ///   with one version.
    public func loadMigrations() throws(MigrationError) -> [Migration] {
        var migrations: [Migration] = []
        var seen: [MigrationVersion: String] = [:]
        for location in configuration.locations {
            let folder = try MigrationLocation.resolve(location)
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            } catch {
                throw MigrationError(.unreadableDirectory, file: folder.path, message: "cannot list the migrations folder: \(error.localizedDescription)")
            }
            for name in names.sorted() where name.hasSuffix(".sql") && !name.hasPrefix(".") {
                let path = folder.path + "/" + name
                guard let data = FileManager.default.contents(atPath: path), let sql = String(data: data, encoding: .utf8) else {
                    throw MigrationError(.unreadableDirectory, file: name, message: "cannot read the file as UTF-8")
                }
                let migration = try Migration(fileName: name, sql: sql)
                if let other = seen[migration.version] {
                    throw MigrationError(.duplicateVersion, file: name, message: "version \(migration.version) is also used by \(other)")
                }
                seen[migration.version] = name
                migrations.append(migration)
            }
        }
        return migrations.sorted { $0.version < $1.version }
    }

    // MARK: commands

    /// Applies the pending migrations, after validating the applied ones.
    ///
    /// Holds a session advisory lock on `connection` from before it reads the history until
    /// it is done, so concurrent migrators apply each migration once.
    /// - Parameter connection: The connection to migrate through (used exclusively meanwhile).
    /// - Returns: What was applied.
    /// - Throws: ``MigrationError`` (a bad file, an edited or missing applied file, a failed
    ///   migration with file and line), ``PostgresError``.
    @discardableResult
    public func migrate(on connection: PostgresConnection) throws -> MigrationReport {
        if let deprecated = configuration.deprecatedKey {
            logger.warning("\(deprecated) is deprecated: set migrations.locations (MIGRATIONS_LOCATIONS) instead")
        }
        for location in configuration.locations {
            if let folder = try? MigrationLocation.resolve(location), folder.foundBesideExecutable {
                logger.info("migrations folder found beside the executable", metadata: ["location": "\(location)", "path": "\(folder.path)"])
            }
        }
        let migrations = try loadMigrations()
        return try withLock(on: connection) {
            try ensureHistoryTable(on: connection)
            let history = try readHistory(on: connection)
            try validate(migrations, against: history)
            let baseline = history.first(where: \.isBaseline)?.parsedVersion
            let applied = Set(history.compactMap(\.parsedVersion))
            var done: [MigrationInfo] = []
            for migration in migrations where !applied.contains(migration.version) {
                if let baseline, migration.version <= baseline { continue }
                done.append(try apply(migration, on: connection))
            }
            let current = (history.compactMap(\.parsedVersion) + done.map(\.version)).max()
            return MigrationReport(applied: done, currentVersion: current)
        }
    }

    /// Checks that every applied migration's file is still there, unchanged, and that no
    /// pending migration is older than an applied one.
    /// - Parameter connection: The database to check.
    /// - Throws: ``MigrationError`` naming the first offending file.
    public func validate(on connection: PostgresConnection) throws {
        let migrations = try loadMigrations()
        guard try historyTableExists(on: connection) else { return }
        try validate(migrations, against: try readHistory(on: connection))
    }

    /// Lists applied and pending migrations, oldest first.
    /// - Parameter connection: The database to look at.
    /// - Returns: One entry per file or history row.
    /// - Throws: ``MigrationError`` for bad files, ``PostgresError``.
    public func info(on connection: PostgresConnection) throws -> [MigrationInfo] {
        let migrations = try loadMigrations()
        let history = try historyTableExists(on: connection) ? try readHistory(on: connection) : []
        let baseline = history.first(where: \.isBaseline)?.parsedVersion
        var byVersion: [MigrationVersion: HistoryRow] = [:]
        for row in history { if let version = row.parsedVersion { byVersion[version] = row } }
        var entries: [MigrationInfo] = []
        for migration in migrations {
            if let row = byVersion.removeValue(forKey: migration.version) {
                let state: MigrationInfo.State =
                    row.isBaseline ? .baseline : (row.checksum == migration.checksum ? .applied : .checksumMismatch)
                entries.append(info(row, version: migration.version, state: state))
            } else {
                let below = baseline.map { migration.version <= $0 } ?? false
                entries.append(MigrationInfo(
                    version: migration.version, description: migration.description, script: migration.script,
                    state: below ? .belowBaseline : .pending, installedAt: nil, executionTime: nil))
            }
        }
        for (version, row) in byVersion { entries.append(info(row, version: version, state: row.isBaseline ? .baseline : .missing)) }
        return entries.sorted { $0.version < $1.version }
    }

    /// Marks an existing database as being at `version`: migrations up to it are never
    /// applied here, later ones are.
    /// - Parameters:
    ///   - connection: The database.
    ///   - version: The version the existing schema corresponds to, like `"1"`.
    ///   - description: Recorded in the history. Default `<< Baseline >>`.
    /// - Throws: ``MigrationError`` `.baselineRefused` when the history is not empty.
    public func baseline(on connection: PostgresConnection, version: String, description: String = "<< Baseline >>") throws {
        guard let parsed = MigrationVersion(version) else {
            throw MigrationError(.baselineRefused, message: "'\(version)' is not a version")
        }
        try withLock(on: connection) {
            try ensureHistoryTable(on: connection)
            guard try readHistory(on: connection).isEmpty else {
                throw MigrationError(.baselineRefused, message: "the history table \(configuration.table) is not empty")
            }
            try connection.execute("""
                INSERT INTO \(identifier: configuration.table)
                    (installed_rank, version, description, type, script, checksum, execution_time_ms, success)
                VALUES (1, \(parsed.description), \(description), 'BASELINE', \(description), NULL, 0, true)
                """)
        }
    }

    // MARK: internals

    private func withLock<Result>(on connection: PostgresConnection, _ body: () throws -> Result) throws -> Result {
        let key = configuration.effectiveLockKey
        try connection.query("SELECT pg_advisory_lock(\(key))")
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(key))") }
        return try body()
    }

    private func historyTableExists(on connection: PostgresConnection) throws -> Bool {
        let name = PostgresQuery.quoteIdentifier(configuration.table)
        let row = try connection.query("SELECT to_regclass(\(name)) IS NOT NULL").first
        return try row?.decode(Bool.self, at: 0) ?? false
    }

    private func ensureHistoryTable(on connection: PostgresConnection) throws {
        try connection.executeScript("""
            CREATE TABLE IF NOT EXISTS \(identifier: configuration.table) (
                installed_rank integer PRIMARY KEY,
                version text NOT NULL UNIQUE,
                description text NOT NULL,
                type text NOT NULL,
                script text NOT NULL,
                checksum text,
                installed_by text NOT NULL DEFAULT current_user,
                installed_at timestamptz NOT NULL DEFAULT now(),
                execution_time_ms integer NOT NULL,
                success boolean NOT NULL
            )
            """)
    }

    private func readHistory(on connection: PostgresConnection) throws -> [HistoryRow] {
        try connection.query("""
            SELECT installed_rank, version, description, type, script, checksum,
                   extract(epoch FROM installed_at)::float8 AS installed_at, execution_time_ms, success
            FROM \(identifier: configuration.table) ORDER BY installed_rank
            """).decode(HistoryRow.self)
    }

    private func validate(_ migrations: [Migration], against history: [HistoryRow]) throws(MigrationError) {
        var files: [MigrationVersion: Migration] = [:]
        for migration in migrations { files[migration.version] = migration }
        var highestApplied: MigrationVersion?
        var applied = Set<MigrationVersion>()
        var baseline: MigrationVersion?
        for row in history {
            guard let version = row.parsedVersion else { continue }
            applied.insert(version)
            if row.isBaseline {
                baseline = version
                continue
            }
            highestApplied = max(highestApplied ?? version, version)
            guard let file = files[version] else {
                throw MigrationError(.missingFile, file: row.script, message: "applied migration \(version) has no file any more; restore it (applied migrations must not be deleted)")
            }
            if file.checksum != row.checksum {
                throw MigrationError(.checksumMismatch, file: file.script, message: "was edited after it was applied (checksum \(row.checksum ?? "none") in the history, \(file.checksum) on disk); revert the edit and add a new migration instead")
            }
        }
        if let highestApplied {
            for migration in migrations where !applied.contains(migration.version) && migration.version < highestApplied {
                if let baseline, migration.version <= baseline { continue }
                throw MigrationError(.outOfOrder, file: migration.script, message: "is pending but version \(highestApplied) is already applied; give it a higher version")
            }
        }
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) throws -> MigrationInfo {
        let start = ContinuousClock.now
        do {
            try connection.withTransaction { tx in
                try tx.executeScript(PostgresQuery(unsafeSQL: migration.sql))
                let elapsed = Int(Self.milliseconds(ContinuousClock.now - start))
                try tx.execute("""
                    INSERT INTO \(identifier: configuration.table)
                        (installed_rank, version, description, type, script, checksum, execution_time_ms, success)
                    SELECT coalesce(max(installed_rank), 0) + 1, \(migration.version.description), \(migration.description),
                           'SQL', \(migration.script), \(migration.checksum), \(elapsed), true
                    FROM \(identifier: configuration.table)
                    """)
            }
        } catch let error as PostgresError {
            let line = error.position.map { Self.line(ofCharacter: $0, in: migration.sql) }
            throw MigrationError(.sqlFailed, file: migration.script, line: line, message: error.message, underlying: error)
        }
        let took = ContinuousClock.now - start
        logger.info("applied migration", metadata: [
            "version": .string(migration.version.description), "script": .string(migration.script),
            "ms": .stringConvertible(Self.milliseconds(took)),
        ])
        return MigrationInfo(
            version: migration.version, description: migration.description, script: migration.script,
            state: .applied, installedAt: Date().timeIntervalSince1970, executionTime: took)
    }

    private func info(_ row: HistoryRow, version: MigrationVersion, state: MigrationInfo.State) -> MigrationInfo {
        MigrationInfo(
            version: version, description: row.description,
            script: row.script, state: state, installedAt: row.installedAt,
            executionTime: .milliseconds(row.executionTimeMs))
    }

    static func milliseconds(_ duration: Duration) -> UInt64 {
        duration.clampedNanoseconds / 1_000_000
    }

    /// The 1-based line holding the 1-based character `position` of `text`.
    static func line(ofCharacter position: Int, in text: String) -> Int {
        var line = 1
        for (index, character) in text.enumerated() {
            if index >= position - 1 { break }
            if character == "\n" || character == "\r\n" { line += 1 }
        }
        return line
    }
}
