import Foundation

/// Conversions of `numeric`'s binary form (base-10000 digits) to decimal text.
enum PostgresNumeric {
    /// The decimal text of a binary `numeric` (`-12.50`, `NaN`, `Infinity`).
    static func text(from bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> String {
        guard bytes.count >= 8 else { throw PostgresDecodingFailure("numeric value too short") }
        func int16(at offset: Int) -> Int {
            Int(Int16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
        }
        let ndigits = int16(at: 0)
        let weight = int16(at: 2)
        let sign = UInt16(bitPattern: Int16(int16(at: 4)))
        let dscale = int16(at: 6)
        guard ndigits >= 0, bytes.count >= 8 + 2 * ndigits, dscale >= 0 else {
            throw PostgresDecodingFailure("malformed numeric value")
        }
        switch sign {
        case 0xC000: return "NaN"
        case 0xD000: return "Infinity"
        case 0xF000: return "-Infinity"
        default: break
        }
        func digit(_ index: Int) -> Int { index >= 0 && index < ndigits ? int16(at: 8 + 2 * index) : 0 }
        func padded(_ value: Int) -> String {
            let s = String(value)
            return String(repeating: "0", count: 4 - s.count) + s
        }
        var out = sign == 0x4000 ? "-" : ""
        if weight < 0 {
            out += "0"
        } else {
            for index in 0...weight { out += index == 0 ? String(digit(index)) : padded(digit(index)) }
        }
        if dscale > 0 {
            var fraction = ""
            var index = weight + 1
            while fraction.count < dscale {
                fraction += padded(digit(index))
                index += 1
            }
            out += "." + fraction.prefix(dscale)
        }
        return out
    }

    /// A `Decimal` from decimal text.
    static func decimal(from text: String) throws(PostgresDecodingFailure) -> Decimal {
        if text == "NaN" { return .nan }
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw PostgresDecodingFailure("numeric value out of Decimal's range")
        }
        return value
    }
}
