import BrigadeHTTP
import NIOCore

extension Request {
    /// A path variable converted to `T`.
    ///
    /// ```swift
    /// let id = try request.path("id", as: Int.self)   // /users/abc → 400
    /// ```
    /// - Throws: ``HTTPError`` 400 naming the variable when it is not a valid `T`.
    public func path<T: ParameterValue>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let raw = parameters[name] else {
            throw HTTPError(.internalServerError, "the route has no path variable '\(name)'")
        }
        guard let value = T(parameter: raw) else {
            throw HTTPError(
                .badRequest, "path variable '\(name)' must be \(T.parameterDescription), got '\(raw)'",
                invalidParameters: [.init(name: name, reason: "must be \(T.parameterDescription)")])
        }
        return value
    }

    /// A query parameter converted to `T`, or `nil` when absent.
    /// - Throws: ``HTTPError`` 400 naming the parameter when present but not a valid `T`.
    public func query<T: ParameterValue>(_ name: String, as type: T.Type = T.self) throws -> T? {
        guard let raw = queryValue(name) else { return nil }
        guard let value = T(parameter: raw) else {
            throw HTTPError(
                .badRequest, "query parameter '\(name)' must be \(T.parameterDescription), got '\(raw)'",
                invalidParameters: [.init(name: name, reason: "must be \(T.parameterDescription)")])
        }
        return value
    }

    /// A query parameter converted to `T`, or `defaultValue` when absent.
    /// - Throws: ``HTTPError`` 400 when present but not a valid `T`.
    public func query<T: ParameterValue>(_ name: String, default defaultValue: T) throws -> T {
        try query(name, as: T.self) ?? defaultValue
    }

    /// A required query parameter converted to `T`.
    /// - Throws: ``HTTPError`` 400 when absent or not a valid `T`.
    public func requiredQuery<T: ParameterValue>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let value = try query(name, as: T.self) else {
            throw HTTPError(
                .badRequest, "query parameter '\(name)' is required",
                invalidParameters: [.init(name: name, reason: "is required")])
        }
        return value
    }

    /// A header converted to `T`, or `nil` when absent.
    /// - Throws: ``HTTPError`` 400 when present but not a valid `T`.
    public func header<T: ParameterValue>(_ name: String, as type: T.Type) throws -> T? {
        guard let raw = header(name) else { return nil }
        guard let value = T(parameter: raw) else {
            throw HTTPError(.badRequest, "header '\(name)' must be \(T.parameterDescription), got '\(raw)'")
        }
        return value
    }

    /// Every `name=value` pair of the query string, percent-decoded, in order.
    public var queryItems: [(name: String, value: String)] {
        guard let query = message.query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (URLDecoding.decodeQueryComponent(pair[..<equals]), URLDecoding.decodeQueryComponent(pair[pair.index(after: equals)...]))
            }
            return (URLDecoding.decodeQueryComponent(pair), "")
        }
    }

    /// The first value of a query parameter, percent-decoded, without conversion.
    public func queryValue(_ name: String) -> String? {
        guard let query = message.query, !query.isEmpty else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let key = pair.firstIndex(of: "=").map { pair[..<$0] } ?? pair
            if URLDecoding.decodeQueryComponent(key) == name {
                return pair.firstIndex(of: "=").map { URLDecoding.decodeQueryComponent(pair[pair.index(after: $0)...]) } ?? ""
            }
        }
        return nil
    }

    /// Decodes the JSON body.
    ///
    /// - Throws: ``HTTPError`` 415 when the content type is not JSON, 400 naming what was
    ///   wrong when the body is not valid JSON or does not fit `T` (missing field, wrong type).
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        let contentType = header("content-type")?.lowercased() ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard mediaType == "application/json" || mediaType.hasSuffix("+json") else {
            throw HTTPError(
                .unsupportedMediaType,
                mediaType.isEmpty ? "the body must be application/json; no Content-Type was sent"
                    : "the body must be application/json, got \(mediaType)",
                headers: ["accept": "application/json"])
        }
        guard body.readableBytes > 0 else { throw HTTPError(.badRequest, "the request body is empty; a JSON document was expected") }
        do {
            return try JSONBody.decode(T.self, from: body)
        } catch let error as DecodingError {
            throw BodyDecoding.httpError(for: error)
        }
    }
}

import Foundation
