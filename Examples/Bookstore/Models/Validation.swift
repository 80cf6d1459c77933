import Brigade
import Foundation

/// Collects invalid fields, then throws one `422 Unprocessable Entity` naming all of them.
struct Validation {
    private(set) var problems: [HTTPError.InvalidParameter] = []

    /// Records `reason` for `field` unless `condition` holds.
    mutating func check(_ condition: Bool, _ field: String, _ reason: String) {
        if !condition { problems.append(.init(name: field, reason: reason)) }
    }

    /// - Throws: ``HTTPError`` 422 with `detail` and the fields, when any were recorded.
    func throwIfAny(_ detail: String) throws {
        guard !problems.isEmpty else { return }
        throw HTTPError(.unprocessableEntity, detail, invalidParameters: problems)
    }
}

extension String {
    /// Without leading and trailing whitespace.
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
