/// A row of the history table.
struct HistoryRow: Decodable {
    let installedRank: Int
    let version: String
    let description: String
    let type: String
    let script: String
    let checksum: String?
    let installedAt: Double
    let executionTimeMs: Int
    let success: Bool

    var parsedVersion: MigrationVersion? { MigrationVersion(version) }
    var isBaseline: Bool { type == "BASELINE" }
}
