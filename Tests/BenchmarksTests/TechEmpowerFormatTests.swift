import Brigade
import BrigadePostgres
import BrigadeTesting
import Foundation
import Testing

@testable import Benchmarks

/// Each TechEmpower test type's response format, over a real socket (so the connector's
/// `Server`, `Date` and `Content-Length` headers are checked too), against a fresh database.
@Suite struct TechEmpowerFormatTests {
    struct WorldJSON: Codable, Sendable, Equatable {
        let id: Int
        let randomNumber: Int
    }

    /// The headers every TechEmpower response must carry.
    func expectStandardHeaders(_ response: TestResponse, contentType: String) {
        #expect(response.status == .ok)
        #expect(response.header("server") == "Brigade")
        #expect(response.header("date")?.hasSuffix(" GMT") == true)
        #expect(response.header("content-type") == contentType)
        #expect(response.header("content-length") == String(response.body.readableBytes))
    }

    func expectWorldObject(_ object: Any?) {
        let world = object as? [String: Any]
        #expect(world.map { Set($0.keys) } == ["id", "randomNumber"])
        let id = world?["id"] as? Int ?? 0
        let number = world?["randomNumber"] as? Int ?? 0
        #expect((1...10_000).contains(id))
        #expect((1...10_000).contains(number))
    }

    func worlds(_ response: TestResponse) throws -> [Any] {
        try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [Any] ?? []
    }

    @Test func plaintextIsHelloWorldWithTheStandardHeaders() async throws {
        let fixture = try BenchmarksFixture()
        defer { fixture.pool.shutdown() }
        try await fixture.app.test(.live) { client in
            let response = try await client.get("/plaintext")
            expectStandardHeaders(response, contentType: "text/plain; charset=utf-8")
            #expect(response.text == "Hello, World!")
            #expect(response.header("content-length") == "13")
        }
    }

    @Test func jsonIsTheMessageObject() async throws {
        let fixture = try BenchmarksFixture()
        defer { fixture.pool.shutdown() }
        try await fixture.app.test(.live) { client in
            let response = try await client.get("/json")
            expectStandardHeaders(response, contentType: "application/json")
            #expect(response.text == #"{"message":"Hello, World!"}"#)
        }
    }

    @Test func dbIsOneWorldObject() async throws {
        let fixture = try BenchmarksFixture()
        defer { fixture.pool.shutdown() }
        try await fixture.app.test(.live) { client in
            let response = try await client.get("/db")
            expectStandardHeaders(response, contentType: "application/json")
            expectWorldObject(try response.jsonObject())
            let world = try response.decode(WorldJSON.self)
            #expect(try fixture.storedRandomNumber(id: world.id) == world.randomNumber)
        }
    }

    @Test func queriesIsAnArrayOfWorldObjects() async throws {
        let fixture = try BenchmarksFixture()
        defer { fixture.pool.shutdown() }
        try await fixture.app.test(.live) { client in
            let response = try await client.get("/queries?queries=20")
            expectStandardHeaders(response, contentType: "application/json")
            let objects = try worlds(response)
            #expect(objects.count == 20)
            for object in objects { expectWorldObject(object) }
        }
    }

    @Test(arguments: [
        ("", 1), ("?queries=1", 1), ("?queries=7", 7), ("?queries=0", 1), ("?queries=-3", 1),
        ("?queries=500", 500), ("?queries=501", 500), ("?queries=99999", 500), ("?queries=foo", 1), ("?queries=", 1),
    ])
    func queriesIsClampedAndDefaultsToOne(query: String, expected: Int) async throws {
        let fixture = try BenchmarksFixture()
        defer { fixture.pool.shutdown() }
        try await fixture.app.test(.live) { client in
            let response = try await client.get("/queries" + query)
            #expect(response.status == .ok)
            #expect(try worlds(response).count == expected)
        }
    }

    /// The TechEmpower reference page: 12 stored fortunes plus the added one, sorted by
    /// message, escaped, UTF-8.
    static let expectedFortunes = """
        <!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>\
        <tr><td>11</td><td>&lt;script&gt;alert(&quot;This should not be displayed in a browser alert box.&quot;);&lt;/script&gt;</td></tr>\
        <tr><td>4</td><td>A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1</td></tr>\
        <tr><td>5</td><td>A computer program does what you tell it to do, not what you want it to do.</td></tr>\
        <tr><td>2</td><td>A computer scientist is someone who fixes things that aren&#39;t broken.</td></tr>\
        <tr><td>8</td><td>A list is only as strong as its weakest link. — Donald Knuth</td></tr>\
        <tr><td>0</td><td>Additional fortune added at request time.</td></tr>\
        <tr><td>3</td><td>After enough decimal places, nobody gives a damn.</td></tr>\
        <tr><td>7</td><td>Any program that runs right is obsolete.</td></tr>\
        <tr><td>10</td><td>Computers make very fast, very accurate mistakes.</td></tr>\
        <tr><td>6</td><td>Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen</td></tr>\
        <tr><td>9</td><td>Feature: A bug with seniority.</td></tr>\
        <tr><td>1</td><td>fortune: No such file or directory</td></tr>\
        <tr><td>12</td><td>フレームワークのベンチマーク</td></tr>\
        </table></body></html>
        """

    @Test func fortunesAreSortedEscapedAndIncludeTheAddedOne() async throws {
        let fixture = try BenchmarksFixture()
        defer { fixture.pool.shutdown() }
        try await fixture.app.test(.live) { client in
            let response = try await client.get("/fortunes")
            expectStandardHeaders(response, contentType: "text/html; charset=utf-8")
            #expect(response.text == Self.expectedFortunes)
            #expect(!response.text.contains("<script>"))
            #expect(response.header("content-length") == String(Self.expectedFortunes.utf8.count))
        }
    }

    @Test func htmlEscapingCoversTheFiveCharacters() {
        #expect(HTMLEscaping.escape(#"<a href="x">Tom & 'Jerry'</a>"#)
            == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
        #expect(HTMLEscaping.escape("フレームワーク — plain") == "フレームワーク — plain")
    }

    @Test func updatesPersistTheNewNumbers() async throws {
        let fixture = try BenchmarksFixture()
        defer { fixture.pool.shutdown() }
        try await fixture.app.test(.live) { client in
            let response = try await client.get("/updates?queries=20")
            expectStandardHeaders(response, contentType: "application/json")
            let objects = try worlds(response)
            #expect(objects.count == 20)
            for object in objects { expectWorldObject(object) }
            for world in try response.decode([WorldJSON].self) {
                #expect(try fixture.storedRandomNumber(id: world.id) == world.randomNumber)
            }
        }
    }

    @Test(arguments: [("?queries=foo", 1), ("?queries=0", 1), ("?queries=501", 500), ("", 1)])
    func updatesAreClampedLikeQueries(query: String, expected: Int) async throws {
        let fixture = try BenchmarksFixture()
        defer { fixture.pool.shutdown() }
        try await fixture.app.test(.live) { client in
            let response = try await client.get("/updates" + query)
            #expect(response.status == .ok)
            #expect(try worlds(response).count == expected)
        }
    }
}
