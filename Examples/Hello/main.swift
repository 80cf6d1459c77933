import Brigade

// Reads server.port, front.max-threads, … from --arguments, environment variables and a
// JSON file named by CONFIG_FILE; see Configuration.
let configuration = try await Configuration.load()
var app = Application(configuration: configuration)
app.register(HelloController())
try await app.run()
