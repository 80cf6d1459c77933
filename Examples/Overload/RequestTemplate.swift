import Foundation
import NIOHTTP1

/// One kind of request in the mix: `METHOD PATH [BODY]`, as given to `--request` (or
/// `--path`, a `GET`). In the path and the body, `{n}` stands for the request's number (unique
/// in the run, counted from ``Options/firstNumber``) and `{isbn}` for a valid ISBN-13 made
/// from it, so that requests which create resources can create distinct ones.
struct RequestTemplate: Sendable, Equatable, CustomStringConvertible {
    let method: HTTPMethod
    let path: String
    /// Sent as `application/json` when present.
    let body: String?

    /// `GET path`.
    init(get path: String) throws {
        try self.init(method: .GET, path: path, body: nil)
    }

    private init(method: HTTPMethod, path: String, body: String?) throws {
        guard path.hasPrefix("/") else { throw Options.Invalid(description: "a path must start with /, got \(path)") }
        self.method = method
        self.path = path
        self.body = body
    }

    /// Parses `METHOD PATH` or `METHOD PATH BODY` (the body is the rest of the line after the
    /// second space, spaces included).
    init(parsing text: String) throws {
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2 else {
            throw Options.Invalid(description: "--request takes 'METHOD PATH' or 'METHOD PATH BODY', got \(text)")
        }
        let name = String(parts[0])
        guard name.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw Options.Invalid(description: "--request: the method must be an uppercase word like GET or POST, got \(name)")
        }
        try self.init(method: HTTPMethod(rawValue: name), path: String(parts[1]), body: parts.count == 3 ? String(parts[2]) : nil)
    }

    /// How the kind is named in the report: the method and the path as given, with `{n}`.
    var description: String { "\(method.rawValue) \(path)" }

    /// The path of request number `n`.
    func uri(_ n: Int) -> String { Self.expand(path, n) }

    /// The body of request number `n`, if the kind has one.
    func body(_ n: Int) -> String? { body.map { Self.expand($0, n) } }

    private static func expand(_ template: String, _ n: Int) -> String {
        guard template.contains("{") else { return template }
        return template
            .replacingOccurrences(of: "{n}", with: String(n))
            .replacingOccurrences(of: "{isbn}", with: isbn13(n))
    }

    /// `978`, then `n` modulo 10⁹ as nine digits, then the check digit: a valid ISBN-13,
    /// distinct for up to a billion numbers.
    static func isbn13(_ n: Int) -> String {
        let nine = String(n % 1_000_000_000)
        let digits = "978" + String(repeating: "0", count: 9 - nine.count) + nine
        var sum = 0
        for (index, character) in digits.enumerated() {
            sum += (character.wholeNumberValue ?? 0) * (index.isMultiple(of: 2) ? 1 : 3)
        }
        return digits + String((10 - sum % 10) % 10)
    }
}
