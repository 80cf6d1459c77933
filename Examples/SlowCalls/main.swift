import Brigade

// Pool sizes come from the configuration: FRONT_MAX_THREADS, BACK_MAX_THREADS, ASYNC_TIMEOUT…
await Application.main { configuration in
    var app = Application(configuration: configuration)
    app.register(SlowController(executors: app.executors))
    return app
}
