/// A message received on a channel the connection listens to (`NOTIFY channel, 'payload'`).
public struct PostgresNotification: Sendable, Hashable {
    /// The channel's name.
    public let channel: String
    /// The payload (empty when none was given).
    public let payload: String
    /// The server process of the session that sent it.
    public let backendPID: Int32

    /// Creates a notification value (tests, fakes).
    public init(channel: String, payload: String, backendPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.backendPID = backendPID
    }
}
