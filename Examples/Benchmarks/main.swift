import Brigade
import BrigadeMigrations
import BrigadePostgres

// The TechEmpower Framework Benchmarks test types on Brigade.
//
//   swift run -c release benchmarks                      # embedded PostgreSQL, port 8080
//   DATABASE_URL=postgresql://… swift run -c release benchmarks --server-port 8090
//
// The framework's defaults, but for the database pool's size (see BenchmarksSettings).
await Application.main { configuration in
    let keys = ConfigKeys(reader: configuration.reader)
    let url = try BenchmarksDatabase.url(keys: keys)
    try BenchmarksDatabase.migrate(url: url, configuration: try Migrator.Configuration(keys: keys))
    let pool = try PostgresPool(configuration: try BenchmarksSettings.pool(url: url, keys: keys))
    var app = buildApplication(configuration: configuration, pool: pool)
    app.manage(pool)  // closed at shutdown
    return app
}
