import Brigade
import BrigadeTesting
import Dispatch
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Server-Sent Events as a real browser parses them: Chromium's `EventSource` reads the
/// stream, joins multi-line data, dispatches named events, reconnects by itself when the
/// stream ends and sends `Last-Event-ID`.
///
/// Part of ``LoadTests`` (serialized, run on their own by `scripts/test.sh`): a browser is
/// exactly the CPU load the timing-sensitive suites must not share.
extension LoadTests {
    @Test func aBrowsersEventSourceReadsEventsAndResumesWithLastEventID() async throws {
        let chromium = try HeadlessChromium.require()
        // Each `/sse` connection's `Last-Event-ID` ("none" without one), in arrival order.
        let connections = Recorder<String>()
        var app = Application(configuration: testConfiguration())
        app.register(TestController { routes in
            routes.get("/page") { _ in Self.htmlPage(SseBrowserPage.html) }
            routes.get("/sse") { request in
                let emitter = SseEmitter(timeout: nil)
                let lastEventID = request.lastEventID
                connections.record(lastEventID ?? "none")
                DispatchQueue.global().async {
                    if let lastEventID {
                        // The reconnection: resume after what the browser says it has.
                        try? emitter.send(ServerSentEvent(data: "resumed after \(lastEventID)", id: "4"))
                        try? emitter.send(ServerSentEvent(data: "done", id: "5"))
                    } else {
                        // The first connection: reconnect quickly, then three events, then the end.
                        try? emitter.send(ServerSentEvent(data: "first", id: "1", retry: .milliseconds(100)))
                        try? emitter.send(ServerSentEvent(data: "line one\nline two", id: "2"))
                        try? emitter.send(ServerSentEvent(data: "named", event: "quote", id: "3"))
                    }
                    emitter.complete()
                }
                return emitter
            }
        })
        try await app.test(.live) { client in
            let page = try await chromium.load(
                "http://127.0.0.1:\(try #require(client.port))/page", virtualTimeMilliseconds: 5000)
            #expect(page.console.isEmpty, "console: \(page.console)")
            #expect(page.dom.contains(#"data-state="finished""#), "the page never saw \"done\":\n\(page.dom)")

            let seen = SseBrowserPage.entries(in: page.dom)
            // Two connections, each opened; the end of the first is an `error` while the
            // browser is reconnecting (readyState 0, CONNECTING), not a closed source (2).
            let expected: [SseBrowserPage.Entry] = [
                .init(kind: "open", id: "", data: nil),
                .init(kind: "message", id: "1", data: "first"),
                .init(kind: "message", id: "2", data: "line one\nline two"),
                .init(kind: "quote", id: "3", data: "named"),
                .init(kind: "error", id: "0", data: nil),
                .init(kind: "open", id: "", data: nil),
                .init(kind: "message", id: "4", data: "resumed after 3"),
                .init(kind: "message", id: "5", data: "done"),
            ]
            #expect(seen == expected, "the page saw:\n\(seen.map { "\($0)" }.joined(separator: "\n"))\n\(page.dom)")
        }
        // Server side: the first connection had no Last-Event-ID, the browser's own
        // reconnection sent 3, and after "done" the page closed the source (no third).
        #expect(connections.all == ["none", "3"])
    }

    private static func htmlPage(_ page: String) -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/html; charset=utf-8")
        return Response(status: .ok, headers: headers, body: ByteBuffer(string: page))
    }
}

/// The page the browser test loads, and how its DOM is read back.
enum SseBrowserPage {
    /// Opens `EventSource('/sse')` and appends one `<li>` per thing that happens: `open`,
    /// `message`, the named `quote` event, `error` (its `data-id` is the readyState then).
    /// Data is written as JSON so that a line break shows as `\n` in the dumped DOM. On
    /// "done" it closes the source and marks the body finished.
    static let html = """
        <!doctype html><html><head><meta charset="utf-8"><title>sse</title></head>
        <body data-state="running"><ol id="events"></ol><script>
        const list = document.getElementById('events');
        function note(kind, id, data) {
          const item = document.createElement('li');
          item.setAttribute('data-kind', kind);
          item.setAttribute('data-id', id);
          if (data !== undefined) item.textContent = JSON.stringify(data);
          list.appendChild(item);
        }
        const source = new EventSource('/sse');
        source.onopen = () => note('open', '');
        source.onerror = () => note('error', String(source.readyState));
        source.onmessage = (event) => {
          note('message', event.lastEventId, event.data);
          if (event.data === 'done') {
            source.close();
            document.body.setAttribute('data-state', 'finished');
          }
        };
        source.addEventListener('quote', (event) => note('quote', event.lastEventId, event.data));
        </script></body></html>
        """

    struct Entry: Equatable, CustomStringConvertible {
        let kind: String
        let id: String
        /// The event's data as the browser gave it (decoded from the JSON the page wrote).
        let data: String?

        var description: String { "\(kind) id=\(id) data=\(data.map { $0.debugDescription } ?? "-")" }
    }

    /// The `<li>` entries of the dumped DOM, in order.
    static func entries(in dom: String) -> [Entry] {
        dom.matches(of: #/<li data-kind="([a-z]+)" data-id="([^"]*)">(.*?)</li>/#.dotMatchesNewlines()).map { match in
            let text = String(match.output.3)
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&amp;", with: "&")
            let data = text.isEmpty ? nil : (try? JSONDecoder().decode(String.self, from: Data(text.utf8))) ?? "undecodable: \(text)"
            return Entry(kind: String(match.output.1), id: String(match.output.2), data: data)
        }
    }
}
