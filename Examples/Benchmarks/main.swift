import Brigade
import BrigadePostgres

// The TechEmpower Framework Benchmarks test types on Brigade.
//
//   swift run -c release benchmarks                      # embedded PostgreSQL, port 8080
//   DATABASE_URL=postgresql://… swift run -c release benchmarks --server-port 8090
//
// Defaults are tuned for one core (see BenchmarksSettings); every key can be overridden.
let configuration = try BenchmarksSettings.tuned(try await Configuration.load())
let keys = ConfigKeys(reader: configuration.reader)
let url = try BenchmarksDatabase.url(keys: keys)
try BenchmarksDatabase.migrate(url: url, directory: keys.string("migrations.directory") ?? "Migrations")
let pool = try PostgresPool(configuration: try BenchmarksSettings.pool(url: url, keys: keys))
var app = buildApplication(configuration: configuration, pool: pool)
app.manage(pool)
try await app.run()
pool.shutdown()
