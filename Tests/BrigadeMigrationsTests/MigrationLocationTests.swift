import BrigadeExecutors
import BrigadeMigrations
import Configuration
import Foundation
import Testing

/// Where a configured migrations folder is found, and how it is configured.
@Suite("Migration locations")
struct MigrationLocationTests {
    /// `root/project/Migrations` and `root/project/.build/release/app`, `root/elsewhere`.
    private final class Layout {
        let root: URL
        var project: URL { root.appendingPathComponent("project") }
        var executable: URL { project.appendingPathComponent(".build/x86_64-unknown-linux-gnu/release/app") }
        var elsewhere: URL { root.appendingPathComponent("elsewhere") }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-locations-\(UUID())")
            for folder in [project.appendingPathComponent("Migrations"), executable.deletingLastPathComponent(), elsewhere] {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            }
        }

        deinit { try? FileManager.default.removeItem(at: root) }
    }

    @Test func aRelativeFolderIsFoundInTheWorkingDirectoryFirst() throws {
        let layout = try Layout()
        let found = try MigrationLocation.resolve("Migrations", workingDirectory: layout.project.path, executable: layout.executable.path)
        #expect(found.path == layout.project.appendingPathComponent("Migrations").path)
        #expect(!found.foundBesideExecutable)
    }

    @Test func aRelativeFolderIsFoundAboveTheExecutableFromAnotherFolder() throws {
        let layout = try Layout()
        let found = try MigrationLocation.resolve("Migrations", workingDirectory: layout.elsewhere.path, executable: layout.executable.path)
        #expect(found.path == layout.project.appendingPathComponent("Migrations").path)
        #expect(found.foundBesideExecutable)
    }

    @Test func aFolderFoundNowhereNamesEveryPlaceLookedAt() throws {
        let layout = try Layout()
        do {
            _ = try MigrationLocation.resolve("Schema", workingDirectory: layout.elsewhere.path, executable: layout.executable.path)
            Issue.record("resolved a folder that does not exist")
        } catch {
            #expect(error.code == .locationNotFound)
            #expect(error.message.contains(layout.elsewhere.path))
            #expect(error.message.contains(layout.executable.deletingLastPathComponent().path))
            #expect(error.diagnosis.exitStatus == .configuration)
            #expect(error.diagnosis.action.contains("migrations.locations"))
        }
    }

    @Test func anAbsoluteFolderMustExist() throws {
        let layout = try Layout()
        #expect(try MigrationLocation.resolve(layout.elsewhere.path).path == layout.elsewhere.path)
        #expect(throws: MigrationError.self) { try MigrationLocation.resolve(layout.root.appendingPathComponent("nope").path) }
    }

    @Test func theKeyIsMigrationsLocationsAndTheOldOnesStillWork() throws {
        func configuration(_ values: [String: String]) throws -> Migrator.Configuration {
            let reader = ConfigReader(provider: InMemoryProvider(values: Dictionary(uniqueKeysWithValues: values.map {
                (AbsoluteConfigKey(stringLiteral: $0.key), ConfigValue(.string($0.value), isSecret: false))
            })))
            return try Migrator.Configuration(keys: ConfigKeys(reader: reader))
        }
        #expect(try configuration([:]).locations == ["Migrations"])
        let several = try configuration(["migrations.locations": "db/schema, filesystem:db/seed", "migrations.table": "history"])
        #expect(several.locations == ["db/schema", "db/seed"])
        #expect(several.table == "history")
        #expect(several.deprecatedKey == nil)
        let old = try configuration(["migrations.directory": "sql"])
        #expect(old.locations == ["sql"])
        #expect(old.deprecatedKey == "migrations.directory")
        #expect(throws: ConfigurationError.self) { try configuration(["migrations.locations": " , "]) }
    }

    @Test func severalFoldersAreReadTogether() throws {
        let layout = try Layout()
        let second = layout.root.appendingPathComponent("seed")
        try FileManager.default.createDirectory(at: second, withIntermediateDirectories: true)
        try Data("SELECT 1;".utf8).write(to: layout.project.appendingPathComponent("Migrations/V1__one.sql"))
        try Data("SELECT 2;".utf8).write(to: second.appendingPathComponent("V2__two.sql"))
        let migrator = Migrator(configuration: .init(locations: [layout.project.appendingPathComponent("Migrations").path, second.path]))
        #expect(try migrator.loadMigrations().map(\.script) == ["V1__one.sql", "V2__two.sql"])
        try Data("SELECT 3;".utf8).write(to: second.appendingPathComponent("V1__again.sql"))
        #expect(throws: MigrationError.self) { try migrator.loadMigrations() }
    }
}
