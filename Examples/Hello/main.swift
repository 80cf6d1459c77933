import Brigade

// Reads server.port, front.max-threads, … from --arguments, environment variables and a
// JSON file named by CONFIG_FILE (see Configuration); serves until SIGINT or SIGTERM.
await Application.main { configuration in
    var app = Application(configuration: configuration)
    app.register(HelloController())
    return app
}
