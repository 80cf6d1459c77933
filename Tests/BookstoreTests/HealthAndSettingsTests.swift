@testable import Bookstore
import Brigade
import BrigadePostgres
import BrigadeMigrations
import BrigadeTesting
import NIOHTTP1
import Testing

extension BookstoreTests {
    @Suite("Health and settings")
    struct HealthAndSettingsTests {
        @Test func healthReportsTheListenerAndTheWaitingPolls() async throws {
            try await withBookstore(["bookstore.long-poll-timeout": "20s"]) { client, bookstore in
                let idle = try await client.get("/health")
                #expect(idle.status == .ok)
                #expect(try idle.decode(HealthController.Health.self) == .init(status: "ok", listening: true, waitingPolls: 0))
                async let poll = client.get("/books/changes?after=0")
                await bookstore.changes.waiters.waitUntil { $0 == 1 }
                #expect(try await client.get("/health").decode(HealthController.Health.self).waitingPolls == 1)
                bookstore.stopAcceptingChanges()
                #expect(try await poll.text == "[]")
                let stopped = try await client.get("/health")
                #expect(stopped.status == .serviceUnavailable)
                #expect(try stopped.decode(HealthController.Health.self).listening == false)
            }
        }

        @Test func theBookstoreKeysHaveTheirDefaults() async throws {
            let configuration = try await Configuration.load(arguments: ["bookstore"], environment: [:])
            let settings = try BookstoreSettings(keys: ConfigKeys(reader: configuration.reader))
            #expect(settings.databaseURL == nil)
            #expect(settings.migrations.locations == ["Migrations"])
            #expect(settings.migrations.deprecatedKey == nil)
            #expect(settings.longPollTimeout == .seconds(30))
            #expect(settings.reportsTimeout == .seconds(10))
            #expect(settings.importTimeout == .seconds(30 * 60))
            #expect(settings.reportsDelay == .zero)
        }

        @Test func poolSettingsComeFromTheDatabaseKeys() async throws {
            let configuration = try await Configuration.load(
                arguments: [
                    "bookstore", "--database-max-size", "7", "--database-min-idle", "2", "--database-connection-timeout", "2s",
                    "--database-idle-timeout", "none", "--database-front-tier-access", "fail",
                ],
                environment: [
                    "DATABASE_URL": "postgres://app@db/app", "MIGRATIONS_LOCATIONS": "/srv/migrations, filesystem:/srv/more",
                    "DATABASE_ASYNC_TIER_ACCESS": "fail",
                ])
            let keys = ConfigKeys(reader: configuration.reader)
            let settings = try BookstoreSettings(keys: keys)
            #expect(settings.databaseURL == "postgres://app@db/app")
            #expect(settings.migrations.locations == ["/srv/migrations", "/srv/more"])
            let pool = try PostgresPool.Configuration(keys: keys, defaultURL: "postgres://app@db/app")
            #expect(pool.maxSize == 7)
            #expect(pool.minIdle == 2)
            #expect(pool.connectionTimeout == .seconds(2))
            #expect(pool.idleTimeout == nil)
            #expect(pool.frontTierAccess == .fail)
            #expect(pool.asyncTierAccess == .fail)
            #expect(pool.maxLifetime == .seconds(1800))
        }

        @Test func invalidValuesAreRejectedNamingTheKey() async throws {
            let badTimeout = try await Configuration.load(arguments: ["bookstore", "--bookstore-long-poll-timeout", "soon"], environment: [:])
            #expect(throws: ConfigurationError.self) { try BookstoreSettings(keys: ConfigKeys(reader: badTimeout.reader)) }
            let badAccess = try await Configuration.load(arguments: ["bookstore", "--database-front-tier-access", "sometimes"], environment: [:])
            do {
                _ = try PostgresPool.Configuration(keys: ConfigKeys(reader: badAccess.reader), defaultURL: "postgres://x")
                Issue.record("an invalid front-tier-access was accepted")
            } catch {
                #expect(error.message.contains("database.front-tier-access"))
            }
            let badAsync = try await Configuration.load(arguments: ["bookstore", "--database-async-tier-access", "never"], environment: [:])
            do {
                _ = try PostgresPool.Configuration(keys: ConfigKeys(reader: badAsync.reader), defaultURL: "postgres://x")
                Issue.record("an invalid async-tier-access was accepted")
            } catch {
                #expect(error.message.contains("database.async-tier-access must be allow, warn or fail, got 'never'"))
            }
        }
    }
}
