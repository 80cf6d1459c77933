/// A row of the `fortune` table.
struct Fortune: Sendable, Equatable {
    /// The row's id (0 for the one added at request time).
    let id: Int
    /// The message, as stored (escaped only when rendered).
    let message: String
}
