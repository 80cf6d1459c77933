import Brigade
import BrigadeTesting
import Foundation
import Logging
import Testing

/// The access log: one `info` line per request on `brigade.access`, in the configured format.
@Suite struct AccessLogTests {
    func app(records: LogRecords, format: String? = nil) -> Application {
        var configuration = testConfiguration()
        configuration.accessLog.enabled = true
        if let format { configuration.accessLog.format = format }
        var app = Application(configuration: configuration)
        app.accessLogger = records.logger(label: "brigade.access", level: .info)
        app.register(RoutesController { routes in
            routes.get("/books/{id}") { _ in "a book" }
            routes.get("/later") { _ in
                let result = DeferredResult<String>()
                Scheduler.shared.schedule(after: .milliseconds(5)) { result.setResult("later") }
                return result
            }
            routes.get("/boom") { _ -> String in throw HTTPError(.conflict, "taken") }
        })
        return app
    }

    /// The lines logged, checking there are `count` (read after the server shut down, so
    /// every line, which follows its response, is in; their order is not the requests').
    func lines(_ records: LogRecords, count: Int, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        let all = records.all
        #expect(all.count == count, "\(all.map(\.message))", sourceLocation: sourceLocation)
        #expect(all.allSatisfy { $0.level == .info }, sourceLocation: sourceLocation)
        return all.map(\.message)
    }

    @Test func theDefaultLineHasIdMethodTargetRouteStatusDurationAndTimings() async throws {
        let records = LogRecords()
        let requests: [(uri: String, route: String, status: Int)] = [
            ("/books/7", "/books/{id}", 200), ("/later", "/later", 200), ("/boom", "/boom", 409), ("/nowhere", "-", 404),
        ]
        let ids = try await app(records: records).test { client throws in
            var ids: [String] = []
            for request in requests {
                ids.append(try #require(try await client.get(request.uri).header("x-request-id")))
            }
            return ids
        }
        let logged = lines(records, count: requests.count)
        for (request, id) in zip(requests, ids) {
            let line = try #require(logged.first { $0.hasPrefix("\(id) ") }, "no line for \(id) in \(logged)")
            #expect(line.hasPrefix(#"\#(id) "GET \#(request.uri)" \#(request.route) \#(request.status) "#), "\(line)")
            #expect(line.contains(#/ \d+\.\d{3}ms front-queue;dur=\d+\.\d{3}, front;dur=/#), "\(line)")
            #expect(line.contains(#/, total;dur=\d+\.\d{3}$/#), "\(line)")
        }
    }

    @Test func commonFormatIsApachesWithTheRequestID() async throws {
        let records = LogRecords()
        let id = try await app(records: records, format: "common").test(.live) { client throws in
            try await client.get("/books/7").header("x-request-id")
        }
        let line = try #require(lines(records, count: 1).first)
        let expected = #/^127\.0\.0\.1 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET /books/7 HTTP/1\.1" 200 6 (?<id>\S+)$/#
        let match = try #require(line.wholeMatch(of: expected), "\(line)")
        #expect(String(match.output.id) == id)
    }

    @Test func jsonFormatIsOneObjectPerLine() async throws {
        let records = LogRecords()
        try await app(records: records, format: "json").test { client throws in
            _ = try await client.get("/later")
            _ = try await client.get(#"/nowhere?q="quoted""#)
        }
        let objects = try lines(records, count: 2).map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }.sorted { ($0["status"] as? Int ?? 0) < ($1["status"] as? Int ?? 0) }
        #expect(objects[0]["route"] as? String == "/later")
        #expect(objects[0]["status"] as? Int == 200)
        let timings = try #require(objects[0]["timings_ms"] as? [String: Double])
        #expect(Set(timings.keys) == ["front-queue", "front", "back-queue", "back", "async", "render", "total"])
        // The 5 ms timer starts inside the handler, so it is covered by front and async together.
        #expect(try #require(timings["front"]) + (try #require(timings["async"])) >= 5, "\(timings)")
        #expect(objects[1]["route"] is NSNull)
        #expect(objects[1]["uri"] as? String == #"/nowhere?q="quoted""#)
        #expect(objects[1]["status"] as? Int == 404)
        #expect((objects[1]["request_id"] as? String)?.isEmpty == false)
        #expect(objects[1]["time"] as? String != nil)
    }

    @Test func aPatternTakesEveryToken() async throws {
        let records = LogRecords()
        try await app(records: records, format: "%a|%m|%U|%H|%R|%s|%b|%I|100%%|%D|%T|%t").test { client throws in
            _ = try await client.get(#"/books/"7""#, headers: ["x-request-id": "trace-1"])
        }
        let line = try #require(lines(records, count: 1).first)
        let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        try #require(fields.count == 12, "\(line)")
        #expect(Array(fields[0..<9]) == ["-", "GET", #"/books/\"7\""#, "HTTP/1.1", "/books/{id}", "200", "6", "trace-1", "100%"])
        #expect(fields[9].wholeMatch(of: #/\d+\.\d{3}/#) != nil, "\(fields[9])")
        #expect(fields[10].hasSuffix("total;dur=\(fields[9])"), "the timings end with the same total: \(line)")
        #expect(fields[11].wholeMatch(of: #/\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\]/#) != nil, "\(fields[11])")
    }

    @Test func offByDefault() async throws {
        let records = LogRecords()
        var app = app(records: records)
        app.configuration.accessLog = .init()
        try await app.test { client throws in _ = try await client.get("/books/7") }
        #expect(records.all.isEmpty)
    }

    @Test func keysAreReadAndAnUnknownTokenIsRefused() async throws {
        let defaults = try await Configuration.load(arguments: ["test"], environment: [:])
        #expect(defaults.accessLog.enabled == false)
        #expect(defaults.accessLog.format == Configuration.AccessLog.defaultFormat)
        let set = try await Configuration.load(
            arguments: ["test"], environment: ["ACCESS_LOG_ENABLED": "true", "ACCESS_LOG_FORMAT": "%I %s"])
        #expect(set.accessLog == .init(enabled: true, format: "%I %s"))
        let error = await #expect(throws: ConfigurationError.self) {
            try await Configuration.load(arguments: ["test"], environment: ["ACCESS_LOG_FORMAT": "%I %Q"])
        }
        #expect(error?.message.contains("access-log.format") == true, "\(String(describing: error))")
        #expect(throws: ConfigurationError.self) {
            var configuration = Configuration()
            configuration.accessLog.format = "trailing %"
            try configuration.validate()
        }
    }
}
