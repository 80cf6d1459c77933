import Foundation

/// One versioned migration file: `V<version>__<description>.sql`.
public struct Migration: Sendable, Hashable {
    /// The version from the file name.
    public let version: MigrationVersion
    /// The description from the file name, underscores as spaces.
    public let description: String
    /// The file's name (`V2__add_users.sql`).
    public let script: String
    /// The SQL text.
    public let sql: String
    /// SHA-256 of the text (line endings normalised to `\n`), in hex.
    public let checksum: String

    /// Parses a file name and takes its text.
    /// - Parameters:
    ///   - fileName: The file's name.
    ///   - sql: Its content.
    /// - Throws: ``MigrationError`` `.badFileName` naming the file.
    public init(fileName: String, sql: String) throws(MigrationError) {
        let expected = "expected V<version>__<description>.sql, for example V2__add_users.sql"
        guard fileName.hasPrefix("V"), fileName.hasSuffix(".sql") else {
            throw MigrationError(.badFileName, file: fileName, message: expected)
        }
        let stem = fileName.dropFirst().dropLast(4)
        guard let separator = stem.range(of: "__") else {
            throw MigrationError(.badFileName, file: fileName, message: "no '__' between version and description; \(expected)")
        }
        let versionText = String(stem[stem.startIndex..<separator.lowerBound])
        guard let version = MigrationVersion(versionText) else {
            throw MigrationError(.badFileName, file: fileName, message: "'\(versionText)' is not a version (digits separated by . or _); \(expected)")
        }
        let description = stem[separator.upperBound...].replacingOccurrences(of: "_", with: " ")
        guard !description.isEmpty else {
            throw MigrationError(.badFileName, file: fileName, message: "the description is empty; \(expected)")
        }
        self.version = version
        self.description = description
        self.script = fileName
        self.sql = sql
        self.checksum = SHA256.hex(sql.replacingOccurrences(of: "\r\n", with: "\n").utf8)
    }
}
