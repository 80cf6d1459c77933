import Foundation

/// A type that path variables, query parameters and headers can be converted to.
///
/// `String`, the integer types, `Double`, `Float`, `Bool` (`true`/`false`/`1`/`0`), `UUID`
/// conform; conform your own (an enum with a raw value, say) to bind it the same way.
public protocol ParameterValue: Sendable {
    /// Parses the text; `nil` when it is not a valid value (the client gets a 400).
    init?(parameter: String)
    /// How the expected form is named in error messages ("an integer").
    static var parameterDescription: String { get }
}

extension String: ParameterValue {
    public init?(parameter: String) { self = parameter }
    public static var parameterDescription: String { "a string" }
}

extension Int: ParameterValue {
    public init?(parameter: String) { self.init(parameter) }
    public static var parameterDescription: String { "an integer" }
}

extension Int64: ParameterValue {
    public init?(parameter: String) { self.init(parameter) }
    public static var parameterDescription: String { "an integer" }
}

extension Int32: ParameterValue {
    public init?(parameter: String) { self.init(parameter) }
    public static var parameterDescription: String { "an integer" }
}

extension UInt: ParameterValue {
    public init?(parameter: String) { self.init(parameter) }
    public static var parameterDescription: String { "a non-negative integer" }
}

extension Double: ParameterValue {
    public init?(parameter: String) {
        guard let value = Double(parameter), value.isFinite else { return nil }
        self = value
    }
    public static var parameterDescription: String { "a number" }
}

extension Float: ParameterValue {
    public init?(parameter: String) {
        guard let value = Float(parameter), value.isFinite else { return nil }
        self = value
    }
    public static var parameterDescription: String { "a number" }
}

extension Bool: ParameterValue {
    public init?(parameter: String) {
        switch parameter.lowercased() {
        case "true", "1", "yes", "on": self = true
        case "false", "0", "no", "off": self = false
        default: return nil
        }
    }
    public static var parameterDescription: String { "a boolean (true or false)" }
}

extension UUID: ParameterValue {
    public init?(parameter: String) { self.init(uuidString: parameter) }
    public static var parameterDescription: String { "a UUID" }
}

extension ParameterValue where Self: RawRepresentable, RawValue == String {
    /// Enums with string raw values bind by raw value.
    public init?(parameter: String) { self.init(rawValue: parameter) }
    /// "one of the allowed values".
    public static var parameterDescription: String { "one of the allowed values" }
}
