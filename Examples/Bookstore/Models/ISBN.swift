/// ISBN-10 and ISBN-13 check digits.
enum ISBN {
    /// The ISBN without hyphens and spaces, with an uppercase `X`.
    static func normalize(_ text: String) -> String {
        String(text.filter { $0 != "-" && $0 != " " }).uppercased()
    }

    /// Whether a normalised ISBN has the right length, characters and check digit.
    static func isValid(_ isbn: String) -> Bool {
        let characters = Array(isbn)
        switch characters.count {
        case 10:
            var sum = 0
            for (index, character) in characters.enumerated() {
                let value: Int
                if let digit = character.wholeNumberValue, character.isASCII { value = digit }
                else if character == "X", index == 9 { value = 10 }
                else { return false }
                sum += value * (10 - index)
            }
            return sum % 11 == 0
        case 13:
            var sum = 0
            for (index, character) in characters.enumerated() {
                guard character.isASCII, let digit = character.wholeNumberValue else { return false }
                sum += digit * (index.isMultiple(of: 2) ? 1 : 3)
            }
            return sum % 10 == 0
        default:
            return false
        }
    }
}
