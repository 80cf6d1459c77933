import BrigadePostgres
import Foundation
import Synchronization

/// A temporary folder of migration files, and a fresh database to migrate.
final class MigrationFolder {
    let path: String

    init(_ files: [String: String]) throws {
        path = NSTemporaryDirectory() + "brigade-migrations-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, sql) in files { try write(name, sql) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ sql: String) throws {
        try sql.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }

    func remove(_ name: String) throws { try FileManager.default.removeItem(atPath: path + "/" + name) }

    private static let counter = Atomic<Int>(0)

    static func freshDatabaseURL() throws -> String {
        let server = try EmbeddedPostgres.shared()
        let name = "migrations_\(counter.wrappingAdd(1, ordering: .relaxed).newValue)_\(UInt32.random(in: 0...UInt32.max))"
        try server.createDatabase(name)
        return server.url(database: name)
    }
}
