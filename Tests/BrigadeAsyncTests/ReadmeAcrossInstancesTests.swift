import Brigade
import BrigadePostgres
import BrigadeTesting
import Testing

/// The README's "Across instances" example, as printed there, and what it answers.
struct OrderStatus: Codable, Sendable, Equatable {
    var state: String
    static let unchanged = OrderStatus(state: "unchanged")
}

/// Reads an order's status (the data half, blocking, on back threads).
struct OrderRepository: Sendable {
    let pool: PostgresPool
    func status(_ id: Int) throws -> OrderStatus {
        let state = try pool.query("SELECT state FROM orders WHERE id = \(id)").first?.decode(String.self, at: 0)
        return OrderStatus(state: state ?? "unknown")
    }
}

final class OrderStatusController: Controller {
    // Web half (Brigade): DeferredResults by key.
    let statuses = WaiterRegistry<Int, OrderStatus>(timeoutResult: .unchanged)
    let orders: OrderRepository

    init(orders: OrderRepository) { self.orders = orders }

    func register(with routes: Routes) {
        routes.get("/orders/{id}/status") { [statuses] request in
            statuses.wait(for: try request.path("id", as: Int.self), timeout: .seconds(30))
        }
    }

    /// The glue: notifications carry keys; the data is read from the tables.
    func follow(_ listener: PostgresListener, on executor: BackExecutor) throws {
        try listener.listen("order_status") { [statuses, orders] notification in
            guard let id = Int(notification.payload) else { return }
            try? executor.launch { statuses.complete(id, with: try orders.status(id)) }
        } onMissed: { [statuses, orders] in
            // The connection was replaced: notifications sent meanwhile are lost. Look again.
            try? executor.launch { for id in statuses.keys { statuses.complete(id, with: try orders.status(id)) } }
        }
    }
}

@Suite(.timeLimit(.minutes(2))) struct ReadmeAcrossInstancesTests {
    @Test func anUpdateNotifiedByAnotherSessionAnswersTheWaitingPoll() async throws {
        let url = try await blocking { try ManagedListenerTests.freshURL() }
        let pool = try PostgresPool(configuration: .init(url: url, maxSize: 2, minIdle: 0))
        try await blocking { try pool.query("CREATE TABLE orders (id int PRIMARY KEY, state text NOT NULL)") }
        try await blocking { try pool.query("INSERT INTO orders VALUES (17, 'placed')") }
        var app = Application(configuration: testConfiguration())
        // Data half (BrigadePostgres): one LISTEN connection per instance, outside the pool.
        let listener = try PostgresListener(configuration: .init(url: url))
        let controller = OrderStatusController(orders: OrderRepository(pool: pool))
        try controller.follow(listener, on: app.executors.defaultExecutor)
        app.register(controller)
        app.manage(listener)  // started before serving; on /ready, /pools, /metrics; closed after the drain
        app.manage(pool)
        try await app.test { client in
            async let poll = client.get("/orders/17/status")
            await controller.statuses.waitUntil { $0 == 1 }
            // Another session — another instance — updates the order and notifies its key.
            try await blocking {
                let other = try PostgresConnection(url: url)
                defer { other.close() }
                try other.withTransaction { connection in
                    try connection.query("UPDATE orders SET state = 'shipped' WHERE id = 17")
                    try connection.notify("order_status", payload: "17")
                }
            }
            #expect(try await poll.decode(OrderStatus.self) == OrderStatus(state: "shipped"))
        }
    }
}
