import Brigade

// The Bookstore: `swift run bookstore` (or `scripts/run.sh bookstore`) needs nothing else —
// without DATABASE_URL it starts its own PostgreSQL. Every key of Brigade's Configuration
// and of BookstoreSettings can be given as --argument, ENVIRONMENT_VARIABLE or in the JSON
// file named by CONFIG_FILE. It serves until SIGINT or SIGTERM, then answers the waiting
// long polls, drains, and cleans up (the embedded PostgreSQL too); a start-up failure is one
// log line and a non-zero exit.
await Application.main { configuration in
    try buildApplication(configuration: configuration).application
}
