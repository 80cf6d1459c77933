/// One migration as ``Migrator/info(on:)`` reports it.
public struct MigrationInfo: Sendable, Hashable {
    /// Where a migration stands.
    public enum State: String, Sendable, Hashable {
        /// Applied, and the file still matches.
        case applied
        /// Not applied yet.
        case pending
        /// The baseline marker: everything up to it counts as applied.
        case baseline
        /// At or below the baseline, so never applied here.
        case belowBaseline = "below-baseline"
        /// Applied, but the file was edited since.
        case checksumMismatch = "checksum-mismatch"
        /// Applied, but the file is gone.
        case missing
    }

    /// The version.
    public let version: MigrationVersion
    /// The description.
    public let description: String
    /// The file name (or the baseline's description).
    public let script: String
    /// Where it stands.
    public let state: State
    /// When it was applied (seconds since 1970), for applied ones.
    public let installedAt: Double?
    /// How long applying it took, for applied ones.
    public let executionTime: Duration?
}

/// What ``Migrator/migrate(on:)`` did.
public struct MigrationReport: Sendable {
    /// The migrations applied by this run, in order.
    public let applied: [MigrationInfo]
    /// The schema's version after the run (`nil` when there is none).
    public let currentVersion: MigrationVersion?
}
