import BrigadeMigrations
import BrigadePostgres
import Foundation
import Synchronization
import Testing

@Suite("Migrator")
struct MigratorTests {
    static let files = [
        "V1__create_users.sql": "CREATE TABLE users (id int PRIMARY KEY, name text);\n",
        "V1_1__add_email.sql": "ALTER TABLE users ADD COLUMN email text;\n",
        "V2__seed.sql": "INSERT INTO users VALUES (1, 'ann', 'ann@example.com');\nINSERT INTO users VALUES (2, 'bob', NULL);\n",
        "V10__create_orders.sql": "CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users);\n",
        "README.md": "not a migration",
    ]

    @Test("migrations apply once, in numeric version order, with checksums in the history")
    func appliesInOrder() throws {
        let folder = try MigrationFolder(Self.files)
        let connection = try PostgresConnection(url: try MigrationFolder.freshDatabaseURL())
        let migrator = Migrator(configuration: .init(directory: folder.path))
        let report = try migrator.migrate(on: connection)
        #expect(report.applied.map(\.version.description) == ["1", "1.1", "2", "10"])
        #expect(report.currentVersion?.description == "10")
        let history = try connection.query("SELECT version, checksum, success FROM brigade_schema_history ORDER BY installed_rank")
        #expect(try history.map { try $0.decode(String.self, column: "version") } == ["1", "1.1", "2", "10"])
        #expect(try history.allSatisfy { try $0.decode(String.self, column: "checksum").count == 64 })
        #expect(try migrator.migrate(on: connection).applied.isEmpty)
        #expect(try connection.query("SELECT count(*) FROM users").first?.decode(Int.self, at: 0) == 2)
        let info = try migrator.info(on: connection)
        #expect(info.allSatisfy { $0.state == .applied })
    }

    @Test("two migrators racing on one database apply each migration exactly once")
    func racingMigrators() throws {
        let folder = try MigrationFolder(Self.files)
        let url = try MigrationFolder.freshDatabaseURL()
        let migrator = Migrator(configuration: .init(directory: folder.path))
        let appliedCounts = Mutex<[Int]>([])
        let errors = Mutex<[String]>([])
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let connection = try PostgresConnection(url: url)
                    start.wait()
                    let report = try migrator.migrate(on: connection)
                    appliedCounts.withLock { $0.append(report.applied.count) }
                } catch {
                    errors.withLock { $0.append(String(reflecting: error)) }
                }
            }.start()
        }
        start.signal()
        start.signal()
        #expect(group.wait(timeout: .now() + 60) == .success)
        #expect(errors.withLock { $0 }.isEmpty)
        #expect(appliedCounts.withLock { $0 }.sorted() == [0, 4])
        let connection = try PostgresConnection(url: url)
        #expect(try connection.query("SELECT count(*) FROM brigade_schema_history").first?.decode(Int.self, at: 0) == 4)
        #expect(try connection.query("SELECT count(*) FROM users").first?.decode(Int.self, at: 0) == 2)
    }

    @Test("an applied migration that was edited is refused, naming the file")
    func editedMigrationRefused() throws {
        let folder = try MigrationFolder(Self.files)
        let connection = try PostgresConnection(url: try MigrationFolder.freshDatabaseURL())
        let migrator = Migrator(configuration: .init(directory: folder.path))
        try migrator.migrate(on: connection)
        try folder.write("V1_1__add_email.sql", "ALTER TABLE users ADD COLUMN email varchar(200);\n")
        try folder.write("V11__more.sql", "CREATE TABLE more (id int);\n")
        let error = try #require(throws: MigrationError.self) { try migrator.migrate(on: connection) }
        #expect(error.code == .checksumMismatch)
        #expect(error.file == "V1_1__add_email.sql")
        #expect(error.description.contains("V1_1__add_email.sql"))
        #expect(throws: MigrationError.self) { try migrator.validate(on: connection) }
        // Nothing after the refusal was applied.
        #expect(try connection.query("SELECT to_regclass('more') IS NULL").first?.decode(Bool.self, at: 0) == true)
        #expect(try migrator.info(on: connection).first { $0.script == "V1_1__add_email.sql" }?.state == .checksumMismatch)
    }

    @Test("a deleted applied migration is refused, naming the file")
    func deletedMigrationRefused() throws {
        let folder = try MigrationFolder(Self.files)
        let connection = try PostgresConnection(url: try MigrationFolder.freshDatabaseURL())
        let migrator = Migrator(configuration: .init(directory: folder.path))
        try migrator.migrate(on: connection)
        try folder.remove("V2__seed.sql")
        let error = try #require(throws: MigrationError.self) { try migrator.validate(on: connection) }
        #expect(error.code == .missingFile)
        #expect(error.file == "V2__seed.sql")
    }

    @Test("a badly named file is an error naming it")
    func badFileName() throws {
        let folder = try MigrationFolder(["V1__ok.sql": "SELECT 1;", "V2-missing-separator.sql": "SELECT 2;"])
        let error = try #require(throws: MigrationError.self) {
            try Migrator(configuration: .init(directory: folder.path)).loadMigrations()
        }
        #expect(error.code == .badFileName)
        #expect(error.file == "V2-missing-separator.sql")
        let duplicate = try MigrationFolder(["V1__a.sql": "SELECT 1;", "V1_0__b.sql": "SELECT 2;"])
        #expect(throws: MigrationError.self) { try Migrator(configuration: .init(directory: duplicate.path)).loadMigrations() }
    }

    @Test("a failing migration is rolled back and reported with its file and line")
    func sqlErrorWithLine() throws {
        let folder = try MigrationFolder([
            "V1__good.sql": "CREATE TABLE a (id int);\n",
            "V2__bad.sql": "CREATE TABLE b (id int);\n\nINSERT INTO b VALUES (1);\nSELEC oops;\n",
        ])
        let connection = try PostgresConnection(url: try MigrationFolder.freshDatabaseURL())
        let migrator = Migrator(configuration: .init(directory: folder.path))
        let error = try #require(throws: MigrationError.self) { try migrator.migrate(on: connection) }
        #expect(error.code == .sqlFailed)
        #expect(error.file == "V2__bad.sql")
        #expect(error.line == 4)
        #expect(error.underlying?.sqlState == PostgresError.SQLState.syntaxError)
        #expect(try connection.query("SELECT to_regclass('b') IS NULL").first?.decode(Bool.self, at: 0) == true)
        #expect(try connection.query("SELECT count(*) FROM brigade_schema_history").first?.decode(Int.self, at: 0) == 1)
        #expect(try migrator.info(on: connection).map(\.state) == [.applied, .pending])
    }

    @Test("baseline marks an existing schema; only later migrations apply")
    func baseline() throws {
        let folder = try MigrationFolder(Self.files)
        let connection = try PostgresConnection(url: try MigrationFolder.freshDatabaseURL())
        try connection.executeScript("CREATE TABLE users (id int PRIMARY KEY, name text, email text)")
        let migrator = Migrator(configuration: .init(directory: folder.path))
        try migrator.baseline(on: connection, version: "1.1")
        let report = try migrator.migrate(on: connection)
        #expect(report.applied.map(\.version.description) == ["2", "10"])
        #expect(throws: MigrationError.self) { try migrator.baseline(on: connection, version: "3") }
    }
}
