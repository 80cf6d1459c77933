import Foundation

/// One price of one symbol, numbered in the market's order.
struct Quote: Codable, Sendable, Equatable {
    let symbol: String
    let price: Double
    /// The market-wide sequence number: the SSE event id, for `Last-Event-ID`.
    let sequence: Int
    let time: Date
}
