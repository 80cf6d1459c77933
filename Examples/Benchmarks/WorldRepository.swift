import Brigade
import BrigadePostgres

/// The TechEmpower database work, on the `world` and `fortune` tables.
///
/// Every method blocks on PostgreSQL: call them on a back thread (inside a `Callable`), never
/// on a front thread or an event loop.
struct WorldRepository: Sendable {
    let pool: PostgresPool

    static let selectWorld: PostgresQuery = "SELECT id, randomnumber FROM world WHERE id = $1"
    static let selectFortunes: PostgresQuery = "SELECT id, message FROM fortune"
    /// One statement updates every row: the ids and numbers travel as two `int[]` parameters,
    /// so its text (and prepared statement) is the same whatever the count. The pairs come
    /// from `unnest` in the FROM list rather than a `(SELECT unnest(…), unnest(…))`
    /// subquery: TechEmpower's verifier counts the rows of every statement that names `world`
    /// and contains `select` as rows read, and would count each updated row a second time.
    static let updateWorlds: PostgresQuery = """
        UPDATE world SET randomnumber = v.r
        FROM unnest($1::int[], $2::int[]) AS v(id, r)
        WHERE world.id = v.id
        """

    /// `/db`: one random row, one query (one round trip, a prepared statement).
    func randomWorld() throws -> World {
        let id = RandomNumbers.oneToTenThousand()
        return try pool.withConnection { connection in
            let rows = try connection.query(Self.selectWorld, [id])
            guard let row = rows.first else { throw HTTPError(.notFound, "no world \(id)") }
            return try World(row: row)
        }
    }

    /// `/queries`: `count` random rows, one SELECT each, sent as one pipeline batch (one
    /// round trip for all of them).
    func randomWorlds(_ count: Int) throws -> [World] {
        let batch = Self.selectBatch(count)
        let results = try pool.withConnection { try $0.execute(batch) }
        return try results.map(Self.world)
    }

    /// `/updates`: reads `count` random rows (one pipelined batch of SELECTs), gives each a
    /// new random number and persists them with one UPDATE (a second round trip).
    ///
    /// When an id comes up twice, the number persisted (the last one drawn) is the one both
    /// entries report. Rows are updated in id order, so concurrent requests don't deadlock.
    func updateRandomWorlds(_ count: Int) throws -> [World] {
        let batch = Self.selectBatch(count)
        return try pool.withConnection { connection in
            var worlds = try connection.execute(batch).map(Self.world)
            var latest: [Int: Int] = [:]
            latest.reserveCapacity(worlds.count)
            for world in worlds { latest[world.id] = RandomNumbers.oneToTenThousand() }
            for index in worlds.indices { worlds[index].randomNumber = latest[worlds[index].id]! }
            let ids = latest.keys.sorted()
            let idArray = "{" + ids.map(String.init).joined(separator: ",") + "}"
            let numberArray = "{" + ids.map { String(latest[$0]!) }.joined(separator: ",") + "}"
            try connection.execute(Self.updateWorlds, [idArray, numberArray])
            return worlds
        }
    }

    /// `/fortunes`: every stored fortune, unsorted.
    func fortunes() throws -> [Fortune] {
        let rows = try pool.withConnection { try $0.query(Self.selectFortunes) }
        return try rows.map { Fortune(id: try $0.decode(Int.self, at: 0), message: try $0.decode(String.self, at: 1)) }
    }

    private static func selectBatch(_ count: Int) -> PostgresBatch {
        var batch = PostgresBatch()
        for _ in 0..<count { batch.append(selectWorld, [RandomNumbers.oneToTenThousand()]) }
        return batch
    }

    private static func world(_ rows: PostgresRows) throws -> World {
        guard let row = rows.first else { throw HTTPError(.internalServerError, "a world row is missing") }
        return try World(row: row)
    }
}
