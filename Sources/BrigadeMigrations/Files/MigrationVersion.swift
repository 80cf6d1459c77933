/// A migration's version, compared part by part as numbers: `1` < `1.1` < `1.10` < `2`.
public struct MigrationVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The numeric parts (`1_10` and `1.10` are both `[1, 10]`).
    public let parts: [Int]

    /// Parses `1`, `1.2`, `1_2` (Flyway spells dots as underscores in file names).
    /// - Returns: `nil` when the text is not digits separated by `.` or `_`.
    public init?(_ text: String) {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "_", omittingEmptySubsequences: false) }
        var parts: [Int] = []
        for piece in pieces {
            guard !piece.isEmpty, piece.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(piece) else { return nil }
            parts.append(number)
        }
        guard !parts.isEmpty else { return nil }
        // Trailing zeros don't count: 1.0 == 1.
        while parts.count > 1, parts.last == 0 { parts.removeLast() }
        self.parts = parts
    }

    /// `1.10`
    public var description: String { parts.map(String.init).joined(separator: ".") }

    public static func < (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool {
        for (l, r) in zip(lhs.parts, rhs.parts) where l != r { return l < r }
        return lhs.parts.count < rhs.parts.count
    }
}
