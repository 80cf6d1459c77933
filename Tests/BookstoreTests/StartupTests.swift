import BrigadeTesting
import Foundation
import NIOCore
import NIOPosix
import Testing

extension BookstoreTests {
    /// The real `bookstore` executable starting, failing to start, and interrupted while it
    /// starts: one clear line, a `sysexits` status, nothing left running.
    @Suite("Bookstore start-up")
    struct StartupTests {
        private static func bookstore(
            _ environment: [String: String], workingDirectory: URL? = nil
        ) throws -> ServerProcess {
            var variables = ["SERVER_HOST": "127.0.0.1", "SERVER_PORT": "0", "MANAGEMENT_PORT": "0"]
            variables.merge(environment) { $1 }
            return try ServerProcess(
                executable: try ServerProcess.built("bookstore"), environment: variables, inheritEnvironment: false,
                workingDirectory: workingDirectory)
        }

        private static func expectClean(_ log: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(!log.contains("Fatal error") && !log.contains("Backtrac") && !log.contains("Program crashed"), "\(log)", sourceLocation: sourceLocation)
            #expect(log.split(separator: "\n").filter { $0.contains(" critical ") }.count == 1, "\(log)", sourceLocation: sourceLocation)
        }

        @Test func anUnreachableDatabaseNamesTheURLKeyAndExits69() async throws {
            // A port nothing listens on: bound, then released.
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
            let port = try #require(channel.localAddress?.port)
            try await channel.close()
            try await group.shutdownGracefully()

            let app = try Self.bookstore(["DATABASE_URL": "postgresql://postgres@127.0.0.1:\(port)/bookstore"])
            defer { app.kill() }
            let termination = try await app.termination(timeout: .seconds(15))
            #expect(termination == .exited(69), "\(termination): \(app.log)")
            #expect(app.log.contains("database.url") && app.log.contains("DATABASE_URL") && app.log.contains("\(port)"), "\(app.log)")
            Self.expectClean(app.log)
            #expect(app.log.split(separator: "\n").count <= 3, "\(app.log)")
        }

        @Test func aMissingMigrationsFolderNamesTheKeyBeforeStartingAnything() async throws {
            let app = try Self.bookstore(["MIGRATIONS_LOCATIONS": "NoSuchMigrations"], workingDirectory: URL(fileURLWithPath: "/tmp"))
            defer { app.kill() }
            let termination = try await app.termination(timeout: .seconds(15))
            #expect(termination == .exited(78), "\(termination): \(app.log)")
            #expect(app.log.contains("migrations.locations") && app.log.contains("NoSuchMigrations") && app.log.contains("/tmp"), "\(app.log)")
            #expect(!app.log.contains("embedded PostgreSQL"), "nothing should start before the folder is found:\n\(app.log)")
            Self.expectClean(app.log)
            #expect(app.log.split(separator: "\n").count <= 3, "\(app.log)")
        }

        @Test func theDefaultMigrationsFolderIsFoundBesideTheExecutableFromAnotherFolder() async throws {
            let url = try await blocking { try TestDatabase.make() }
            let app = try Self.bookstore(["DATABASE_URL": url], workingDirectory: URL(fileURLWithPath: "/tmp"))
            defer { app.kill() }
            _ = try await app.line(containing: "bookstore is ready")
            #expect(app.log.contains("migrations folder found beside the executable"), "\(app.log)")
            app.signal(SIGTERM)
            #expect(try await app.termination(timeout: .seconds(15)) == .exited(0))
        }

        @Test func aFreshStartWithTheDefaultsLogsNoWarning() async throws {
            // What `scripts/run.sh` does: no DATABASE_URL, so an embedded PostgreSQL, and
            // every other key at its default.
            let app = try Self.bookstore([:], workingDirectory: URL(fileURLWithPath: TestDatabase.packageRoot))
            defer { app.kill() }
            _ = try await app.line(containing: "bookstore is ready", timeout: .seconds(60))
            let noisy = app.log.split(separator: "\n").filter { $0.contains(" warning ") || $0.contains(" error ") || $0.contains(" critical ") }
            #expect(noisy.isEmpty, "\(noisy.joined(separator: "\n"))")
            app.signal(SIGTERM)
            #expect(try await app.termination(timeout: .seconds(20)) == .exited(0))
            #expect(Self.clusters(of: app.pid).isEmpty, "the embedded PostgreSQL was left behind")
        }

        @Test func sigintWhileStartingStopsTheEmbeddedDatabaseAndExitsZero() async throws {
            let app = try Self.bookstore([:], workingDirectory: URL(fileURLWithPath: TestDatabase.packageRoot))
            defer { app.kill() }
            _ = try await app.line(containing: "starting an embedded PostgreSQL")
            app.signal(SIGINT)
            let termination = try await app.termination(timeout: .seconds(30))
            #expect(termination == .exited(0), "\(termination): \(app.log)")
            #expect(app.log.contains("start-up interrupted"), "\(app.log)")
            #expect(!app.log.contains("is ready"), "\(app.log)")
            #expect(Self.clusters(of: app.pid).isEmpty, "the embedded PostgreSQL was left behind: \(Self.clusters(of: app.pid))")
            Self.expectNoCrash(app.log)
        }

        private static func expectNoCrash(_ log: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(!log.contains("Fatal error") && !log.contains("Backtrac"), "\(log)", sourceLocation: sourceLocation)
        }

        /// The embedded clusters process `pid` made that are still on disk.
        private static func clusters(of pid: Int32) -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
            return names.filter { $0.hasPrefix("brigade-pg-\(pid)-") }
        }
    }
}
