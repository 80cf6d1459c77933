import Foundation

/// Turns Foundation's `DecodingError` into a 400 that says what was wrong, and where.
enum BodyDecoding {
    static func httpError(for error: DecodingError) -> HTTPError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .keyNotFound(let key, let context):
            let name = path(context.codingPath + [key])
            return HTTPError(.badRequest, "missing field '\(name)'", invalidParameters: [.init(name: name, reason: "is required")])
        case .typeMismatch(let type, let context):
            let name = path(context.codingPath)
            return HTTPError(
                .badRequest, "field '\(name)' must be \(describe(type))",
                invalidParameters: [.init(name: name, reason: "must be \(describe(type))")])
        case .valueNotFound(let type, let context):
            let name = path(context.codingPath)
            return HTTPError(
                .badRequest, "field '\(name)' must be \(describe(type)), got null",
                invalidParameters: [.init(name: name, reason: "must not be null")])
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return HTTPError(.badRequest, "malformed JSON: \(context.underlyingError.map(cleanMessage) ?? context.debugDescription)")
            }
            let name = path(context.codingPath)
            return HTTPError(.badRequest, "field '\(name)' is invalid: \(context.debugDescription)",
                             invalidParameters: [.init(name: name, reason: context.debugDescription)])
        @unknown default:
            return HTTPError(.badRequest, "the JSON body could not be decoded")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is Int32.Type, is Int16.Type, is UInt.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is Bool.Type: return "a boolean"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return name
        }
    }

    /// Foundation's parser messages, without the NSError wrapping.
    private static func cleanMessage(_ error: any Error) -> String {
        let text = "\(error)"
        if let range = text.range(of: "NSDebugDescription="), let end = text[range.upperBound...].firstIndex(where: { $0 == "," || $0 == "}" }) {
            return String(text[range.upperBound..<end])
        }
        return "not a valid JSON document"
    }
}
