import BrigadeExecutors
@testable import BrigadePostgres
import Foundation
import Synchronization
import Testing

@Suite("PostgresListener: one LISTEN connection per instance")
struct ListenerTests {
    @Test("notifications reach the handlers of their channel, on the handler thread, in order")
    func notificationsReachHandlers() async throws {
        let url = try TestDatabase.freshURL()
        let listener = try PostgresListener(configuration: .init(url: url, name: "orders-feed"))
        let received = Recorder()
        try listener.listen("Orders") { notification in
            received.append("\(notification.channel):\(notification.payload)@\(ThreadTier.current)")
        }
        try listener.listen("orders") { notification in received.append("lower:\(notification.payload)") }
        try await offThread { try listener.start() }
        #expect(listener.isListening)
        #expect(listener.channels == ["Orders", "orders"])

        try await offThread {
            let sender = try PostgresConnection(url: url)
            defer { sender.close() }
            try sender.notify("Orders", payload: "1")
            try sender.notify("unheard", payload: "x")
            try sender.notify("Orders", payload: "2")
            try sender.notify("orders", payload: "3")
        }
        try await received.waitUntil { $0.count == 3 }
        #expect(received.events == [
            "Orders:1@back:orders-feed-handlers", "Orders:2@back:orders-feed-handlers", "lower:3",
        ])
        let status = listener.status()
        #expect(status.isUp)
        #expect(status.kind == "listener")
        #expect(status.counters["notifications"] == 3)  // "unheard" was never listened to
        #expect(status.gauges["channels"] == 2)
        await listener.close()
        #expect(listener.status().detail == "closed")
        #expect(throws: ListenerError.self) { try listener.listen("late") { _ in } }
    }

    @Test("channels are added and removed while it runs")
    func channelsChangeWhileRunning() async throws {
        let url = try TestDatabase.freshURL()
        let listener = try PostgresListener(configuration: .init(url: url))
        defer { listener.closeAndWait() }
        let received = Recorder()
        try listener.listen("a") { received.append("a:\($0.payload)") }
        try await offThread { try listener.start() }

        let b = try listener.listen("b") { received.append("b:\($0.payload)") }
        #expect(try await offThread { listener.waitUntilListening(to: "b", timeout: .seconds(10)) })
        try await notify(url, ["b": "1"])
        try await received.waitUntil { $0 == ["b:1"] }

        listener.unlisten(b)
        #expect(try await offThread { listener.waitForState(timeout: .seconds(10)) { !$0.active.contains("b") } })
        // Sent in this order on one connection: were "b" still heard, it would come first.
        try await notify(url, ["b": "2"])
        try await notify(url, ["a": "3"])
        try await received.waitUntil { $0.count == 2 }
        #expect(received.events == ["b:1", "a:3"])
        #expect(listener.channels == ["a"])
    }

    @Test("a killed connection is replaced: it listens again, and onMissed runs")
    func aKilledConnectionIsReplaced() async throws {
        let url = try TestDatabase.freshURL()
        let listener = try PostgresListener(configuration: .init(url: url, reconnectDelay: .milliseconds(20)))
        defer { listener.closeAndWait() }
        let received = Recorder()
        try listener.listen("jobs") { received.append("job:\($0.payload)") } onMissed: { received.append("missed") }
        try await offThread { try listener.start() }

        #expect(try await terminateListeners(url) == 1)
        try await received.waitUntil { $0 == ["missed"] }
        #expect(listener.reconnections == 1)
        #expect(listener.isListening)
        try await notify(url, ["jobs": "after"])
        try await received.waitUntil { $0 == ["missed", "job:after"] }
        #expect(listener.status().counters["reconnections"] == 1)
    }

    @Test("a NOTIFY sent while the connection is down is lost, and the re-check after reconnecting finds what it announced")
    func aNotificationSentWhileDownIsCaughtByTheRecheck() async throws {
        let url = try TestDatabase.freshURL()
        try await offThread {
            let setup = try PostgresConnection(url: url)
            defer { setup.close() }
            try setup.executeScript("CREATE TABLE facts (id int PRIMARY KEY)")
        }
        // A long pause before reconnecting: the window in which the NOTIFY below is sent.
        let listener = try PostgresListener(configuration: .init(
            url: url, reconnectDelay: .seconds(1), maxReconnectDelay: .seconds(1)))
        defer { listener.closeAndWait() }
        let received = Recorder()
        let lookup = try PostgresConnection(url: url)
        let box = UncheckedBox(lookup)  // used by the handler thread only, one callback at a time
        try listener.listen("facts") { received.append("notified:\($0.payload)") } onMissed: {
            let count = (try? box.value.query("SELECT count(*) FROM facts").first?.decode(Int.self, at: 0)) ?? -1
            received.append("rechecked:\(count)")
        }
        try await offThread { try listener.start() }

        #expect(try await terminateListeners(url) == 1)
        let down = try await offThread {
            listener.waitForState(timeout: .seconds(10)) { if case .connecting = $0.phase { true } else { false } }
        }
        #expect(down)
        #expect(!listener.status().isUp)
        try await offThread {
            let writer = try PostgresConnection(url: url)
            defer { writer.close() }
            try writer.query("INSERT INTO facts VALUES (1)")
            try writer.notify("facts", payload: "1")
        }
        try await received.waitUntil { !$0.isEmpty }
        #expect(received.events == ["rechecked:1"])
        #expect(listener.reconnections == 1)
        #expect(listener.status().gauges["last_reconnect_delay_seconds"] == 1)
    }

    @Test("a slow handler never holds up the listener; past the handler queue, notifications drop and onMissed runs")
    func slowHandlersDoNotBlockTheListener() async throws {
        let url = try TestDatabase.freshURL()
        let listener = try PostgresListener(configuration: .init(url: url, handlerQueueCapacity: 1))
        defer { listener.closeAndWait() }
        let gate = DispatchSemaphore(value: 0)
        let received = Recorder()
        try listener.listen("slow") { notification in
            received.append("start:\(notification.payload)")
            gate.wait()
        } onMissed: {
            received.append("missed")
        }
        try await offThread { try listener.start() }
        try await notify(url, ["slow": "1"])
        try await received.waitUntil { $0 == ["start:1"] }  // the handler thread is now held
        try await notify(url, ["slow": "2"])  // queued
        try await notify(url, ["slow": "3"])  // the queue is full: dropped
        #expect(try await offThread { listener.waitForState(timeout: .seconds(10)) { $0.dropped == 1 } })
        #expect(listener.notificationsReceived == 3)  // the listener read all three meanwhile
        gate.signal()
        gate.signal()
        // onMissed was queued behind what the handlers already had: it runs once they caught up.
        try await received.waitUntil { $0 == ["start:1", "start:2", "missed"] }
        try await notify(url, ["slow": "4"])
        try await received.waitUntil { $0.last == "start:4" }
        gate.signal()
        #expect(received.events == ["start:1", "start:2", "missed", "start:4"])
        #expect(listener.status().counters["dropped"] == 1)
    }

    @Test("a first connection that fails is one clear start-up error; nothing keeps running")
    func aFailedStartIsClear() async throws {
        let port = try unusedPort()
        let listener = try PostgresListener(configuration: .init(
            url: "postgresql://nobody@127.0.0.1:\(port)/none", connectTimeout: .seconds(2)))
        let error = try await #require(throws: ListenerError.self) { try await offThread { try listener.start() } }
        #expect(error.message.contains("(database.url)"))
        #expect(error.message.contains("\(port)"))
        #expect(error.diagnosis.exitStatus == .unavailable)
        #expect(!listener.status().isUp)
        #expect(throws: ListenerError.self) { try listener.start() }
        await listener.close()
    }

    @Test("invalid channel names and configuration values are refused, naming the problem")
    func invalidInput() throws {
        let listener = try PostgresListener(configuration: .init(url: "postgresql://x@127.0.0.1:1/x"))
        #expect(throws: ListenerError.self) { try listener.listen("") { _ in } }
        #expect(throws: ListenerError.self) { try listener.listen(String(repeating: "c", count: 64)) { _ in } }
        #expect(throws: ConfigurationError.self) {
            try PostgresListener(configuration: .init(url: "x", reconnectDelay: .seconds(2), maxReconnectDelay: .seconds(1)))
        }
        listener.closeAndWait()
    }

    // MARK: helpers

    private func notify(_ url: String, _ messages: KeyValuePairs<String, String>) async throws {
        let pairs = messages.map { ($0.key, $0.value) }
        try await offThread {
            let sender = try PostgresConnection(url: url)
            defer { sender.close() }
            for (channel, payload) in pairs { try sender.notify(channel, payload: payload) }
        }
    }

    /// Ends the backends that run `LISTEN` in the test's database, waiting until they are gone.
    private func terminateListeners(_ url: String) async throws -> Int {
        try await offThread {
            let admin = try PostgresConnection(url: url)
            defer { admin.close() }
            return try admin.query(
                """
                -- OFFSET 0 keeps the filter below from being merged into the call: terminating
                -- backends of other tests' databases (PostgreSQL may evaluate quals in any order).
                SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM (
                    SELECT pid FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'
                    OFFSET 0
                ) AS listeners
                """
            ).first?.decode(Int.self, at: 0) ?? 0
        }
    }

    private func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Runs blocking `body` on a thread of its own, so Swift concurrency's threads stay free.
func offThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        ThreadPool.detachThread { continuation.resume(with: Result(catching: body)) }
    }
}

/// Events recorded from any thread, and a wait for a condition on them (bounded: a test
/// that would hang fails instead).
final class Recorder: Sendable {
    private struct State {
        var events: [String] = []
        var waiters: [UInt64: (condition: @Sendable ([String]) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    var events: [String] { state.withLock { $0.events } }

    func append(_ event: String) {
        let ready = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.events.append(event)
            let events = state.events
            let ready = state.waiters.filter { $0.value.condition(events) }
            for id in ready.keys { state.waiters[id] = nil }
            return ready.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    /// Returns once `condition` holds for the events; fails the test after `timeout`.
    func waitUntil(timeout: Duration = .seconds(20), _ condition: @escaping @Sendable ([String]) -> Bool) async throws {
        let held = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let id = state.withLock { state -> UInt64? in
                if condition(state.events) { return nil }
                state.nextID += 1
                state.waiters[state.nextID] = (condition, continuation)
                return state.nextID
            }
            guard let id else {
                continuation.resume(returning: true)
                return
            }
            Scheduler.shared.schedule(after: timeout) { [self] in
                state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
            }
        }
        if !held { Issue.record("timed out waiting; events: \(events)") }
        try #require(held)
    }
}
