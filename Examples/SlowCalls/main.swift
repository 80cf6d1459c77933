import Brigade

// Pool sizes come from the configuration: FRONT_MAX_THREADS, BACK_MAX_THREADS, ASYNC_TIMEOUT…
let configuration = try await Configuration.load()
var app = Application(configuration: configuration)
app.register(SlowController())
try await app.run()
