import Brigade
import Dispatch
import Foundation

// The Bookstore: `swift run bookstore` (or `scripts/run.sh bookstore`) needs nothing else —
// without DATABASE_URL it starts its own PostgreSQL. Every key of Brigade's Configuration
// and of BookstoreSettings can be given as --argument, ENVIRONMENT_VARIABLE or in the JSON
// file named by CONFIG_FILE.
let bookstore: BookstoreApp
let configuration: Configuration
do {
    configuration = try await Configuration.load()
    bookstore = try buildApplication(configuration: configuration)
} catch {
    FileHandle.standardError.write(Data("bookstore: cannot start: \(error)\n".utf8))
    exit(1)
}
let logger = bookstore.application.logger
let server = try bookstore.application.makeServer()
do {
    try await server.start()
} catch {
    bookstore.shutdown()
    throw error
}
logger.info("bookstore is ready", metadata: [
    "url": "http://\(configuration.server.host):\(server.port ?? configuration.server.port)",
    "port": "\(server.port ?? configuration.server.port)",
    "management": "\(server.managementPort.map { "http://\(configuration.management.host):\($0)" } ?? "off")",
])

// Serve until SIGINT or SIGTERM; then answer the waiting long polls, drain, and clean up
// (the embedded PostgreSQL too).
let received = await ShutdownSignal.wait(for: [SIGINT, SIGTERM])
logger.info("shutting down", metadata: ["signal": "\(received)"])
bookstore.stopAcceptingChanges()
try await server.shutdown(grace: .seconds(10))
bookstore.shutdown()
