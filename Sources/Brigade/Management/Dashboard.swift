/// The live pool dashboard the management port serves at `GET /`: one self-contained page.
enum Dashboard {
    static let html = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Brigade pools</title></head>
    <body><h1>Brigade pools</h1><pre id="report">loading…</pre>
    <script>
    async function refresh() {
      const response = await fetch('/pools?history=1');
      document.getElementById('report').textContent = JSON.stringify(await response.json(), null, 2);
    }
    refresh(); setInterval(refresh, 1000);
    </script></body></html>
    """
}
