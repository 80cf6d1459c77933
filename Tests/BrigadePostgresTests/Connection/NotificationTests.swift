import BrigadeExecutors
import BrigadePostgres
import Foundation
import Testing

@Suite("LISTEN/NOTIFY")
struct NotificationTests {
    @Test("a notification sent on one connection reaches a listener on another")
    func acrossConnections() throws {
        let url = try TestDatabase.freshURL()
        let listener = try PostgresConnection(url: url)
        let sender = try PostgresConnection(url: url)
        try listener.listen("Orders")
        #expect(try listener.waitForNotification(timeout: .milliseconds(50)) == nil)
        try sender.notify("Orders", payload: "order 1")
        try sender.notify("Orders", payload: "order 2")
        let first = try #require(try listener.waitForNotification(timeout: .seconds(5)))
        #expect(first.channel == "Orders")
        #expect(first.payload == "order 1")
        #expect(first.backendPID == sender.backendPID)
        var received: [String] = []
        try listener.waitForNotifications(timeout: .seconds(5)) { notification in
            received.append(notification.payload)
            return false
        }
        #expect(received == ["order 2"])
    }

    @Test("a blocked wait ends when another thread notifies")
    func blockedWaitWakes() async throws {
        let url = try TestDatabase.freshURL()
        let listener = try PostgresConnection(url: url)
        try listener.listen("jobs")
        let sender = try PostgresConnection(url: url)
        let senderBox = UncheckedBox(sender)
        let thread = Thread {
            try? senderBox.value.notify("jobs", payload: "go")
        }
        thread.start()
        let notification = try listener.waitForNotification(timeout: .seconds(10))
        #expect(notification?.payload == "go")
    }
}

/// Moves a non-Sendable test object to one other thread that alone uses it afterwards.
final class UncheckedBox<Value>: @unchecked Sendable {
    // @unchecked Sendable: tests hand the value to exactly one other thread and stop using it.
    let value: Value
    init(_ value: Value) { self.value = value }
}
