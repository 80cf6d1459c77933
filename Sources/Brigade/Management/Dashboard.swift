/// The live pool dashboard the management port serves at `GET /`: one self-contained page
/// (inline CSS and JavaScript, no external assets, no framework) that reads
/// `GET /pools?history=1` every second and draws, per pool, its numbers, the advice and small
/// charts of threads, queue and wait over the history; then the warnings, the starvation
/// episodes and the routes.
///
/// Elements a test (or a script) reads carry stable attributes:
/// - every number: `<dd data-pool="back" data-field="completed" data-value="123">`
///   (percentages in percent);
/// - every chart: `<svg data-pool="back" data-chart="threads" data-points="40" data-peak="4">`
///   (samples drawn, highest value of the main series);
/// - every advice: `<p class="advice" data-pool="back" data-field="advice" data-verdict="not-enough-load">`
///   (the report's `verdict`; greyed out when there is nothing to act on);
/// - `#status`: `data-state` `connecting`, `live` or `disconnected`;
/// - `#errors`: the page's own uncaught errors.
///
/// The page writes nothing to the console, so any console message is a problem.
enum Dashboard {
    static let html = #"""
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Brigade pools</title>
    <link rel="icon" href="data:,">
    <style>
    :root { --fg: #1d2330; --muted: #6b7280; --line: #e3e6eb; --bg: #f6f7f9; --card: #fff;
            --bad: #c0392b; --s0: #b8c0cc; --s1: #4f8ad8; --s2: #e07b28; --sat: #fbe3df; }
    * { box-sizing: border-box; }
    body { margin: 0; padding: 16px 20px; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
    header { display: flex; align-items: baseline; gap: 14px; margin-bottom: 12px; }
    h1 { font-size: 20px; margin: 0; }
    h2 { font-size: 15px; margin: 0 0 8px; }
    small, .muted { color: var(--muted); font-weight: normal; }
    #status { padding: 1px 8px; border-radius: 9px; font-size: 12px; background: var(--line); }
    #status[data-state=live] { background: #d9f2df; color: #1e6b33; }
    #status[data-state=disconnected] { background: var(--sat); color: var(--bad); }
    body.stale main, body.stale section { opacity: .55; }
    .panel, .pool { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin-bottom: 12px; }
    #errors { color: var(--bad); }
    ul { margin: 0; padding-left: 18px; }
    li.none { list-style: none; margin-left: -18px; color: var(--muted); }
    #warnings li { color: var(--bad); }
    #pools { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(440px, 100%), 1fr)); gap: 12px; }
    .pool { margin: 0; }
    dl { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 6px 10px; margin: 0 0 8px; }
    dt { font-size: 11px; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    dd { margin: 0; font-size: 17px; font-variant-numeric: tabular-nums; white-space: nowrap; }
    dd small { font-size: 11px; }
    dd.bad { color: var(--bad); }
    figure { margin: 4px 0 0; }
    figcaption { font-size: 11px; color: var(--muted); }
    .key { display: inline-block; width: 10px; height: 3px; margin: 0 3px 2px 8px; vertical-align: middle; }
    svg { display: block; width: 100%; height: 64px; background: #fafbfc; border: 1px solid var(--line); border-radius: 4px; }
    svg polyline { fill: none; stroke-width: 1.5; vector-effect: non-scaling-stroke; }
    .scale { float: right; }
    .s0 { stroke: var(--s0); background: var(--s0); } .s1 { stroke: var(--s1); background: var(--s1); }
    .s2 { stroke: var(--s2); background: var(--s2); } rect.sat { fill: var(--sat); }
    .advice { margin: 8px 0 0; font-size: 12.5px; }
    .advice[data-verdict="not-enough-load"], .advice[data-verdict="no-work"], .advice[data-verdict="measuring"] { color: var(--muted); }
    .running { font-size: 12px; color: var(--muted); margin-top: 4px; }
    table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
    th, td { text-align: right; padding: 3px 8px; border-bottom: 1px solid var(--line); }
    th:first-child, td:first-child { text-align: left; }
    th { font-size: 12px; color: var(--muted); font-weight: normal; }
    </style></head>
    <body>
    <header><h1>Brigade pools</h1><span id="status" data-state="connecting">connecting…</span>
    <span id="updated" class="muted"></span></header>
    <section class="panel" id="errors-panel" hidden><h2>Page errors</h2><ul id="errors"></ul></section>
    <script>
    // First, so that even a syntax error in the main script below is shown on the page.
    function pageError(text) {
      const item = document.createElement('li');
      item.textContent = text;
      document.getElementById('errors').append(item);
      document.getElementById('errors-panel').hidden = false;
    }
    window.addEventListener('error', e => pageError(e.message || 'error'));
    window.addEventListener('unhandledrejection', e => pageError('unhandled: ' + ((e.reason && e.reason.message) || e.reason)));
    </script>
    <section class="panel"><h2>Warnings</h2><ul id="warnings"></ul>
    <h2 style="margin-top:10px">Starvation <small>saturation episodes, latest first</small></h2><ul id="starvation"></ul></section>
    <main id="pools"></main>
    <section class="panel" style="margin-top:12px"><h2>Routes <small id="window"></small></h2>
    <table><thead><tr><th>route</th><th>requests</th><th>per s</th><th>front ms</th><th>back ms</th><th>wait ms</th><th>total ms</th></tr></thead>
    <tbody id="routes"></tbody></table></section>
    <script>
    'use strict';
    const $ = id => document.getElementById(id);
    const SVG = 'http://www.w3.org/2000/svg';
    function node(tag, attributes = {}, ...children) {
      const made = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
      for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
      made.append(...children);
      return made;
    }
    const largest = (values, floor) => values.reduce((a, b) => Math.max(a, b), floor);
    const format = v => v === undefined || v === null ? '–'
      : typeof v !== 'number' || Number.isInteger(v) ? String(v) : v.toFixed(1);

    // [field, label, value, unit, is it bad?]
    const FIELDS = [
      ['size', 'size', p => p.size], ['active', 'active', p => p.active], ['queued', 'queued', p => p.queued],
      ['maxSize', 'max', p => p.maxSize], ['queueCapacity', 'queue cap', p => p.queueCapacity],
      ['completed', 'completed', p => p.completed], ['rejected', 'rejected', p => p.rejected, '', v => v > 0],
      ['throughput', 'done', p => p.window && p.window.throughput, '/s'],
      ['serviceTimeMs', 'service', p => p.window && p.window.serviceTimeMs, 'ms'],
      ['utilisation', 'busy', p => p.window && p.window.utilisation * 100, '%', v => v >= 90],
      ['waitP50', 'wait p50', p => p.window && p.window.queueWaitMs.p50, 'ms'],
      ['waitP95', 'wait p95', p => p.window && p.window.queueWaitMs.p95, 'ms'],
      ['waitP99', 'wait p99', p => p.window && p.window.queueWaitMs.p99, 'ms'],
      ['saturated', 'saturated', p => p.window && p.window.saturatedFraction * 100, '%', v => v > 0],
      ['recommendedSize', 'advised size', p => p.recommendedSize, '', (v, p) => v > p.maxSize],
    ];
    // [chart, caption, series (drawn in order, the last one on top)]
    const CHARTS = [
      ['threads', 'threads', h => [['max', h.maxSize], ['size', h.size], ['active', h.active]]],
      ['queued', 'queued', h => [['queued', h.queued]]],
      ['wait', 'queue wait p99, ms', h => [['wait p99', h.waitP99Ms]]],
    ];

    function card(pool) {
      const numbers = FIELDS.map(([field, label]) =>
        node('div', {}, node('dt', {}, label), node('dd', { 'data-pool': pool.name, 'data-field': field }, '–')));
      const charts = CHARTS.map(([chart, caption, series]) => {
        const names = series({}).map(([name], i, all) => [node('span', { class: 'key s' + (3 - all.length + i) }), name]);
        return node('figure', {}, node('figcaption', {}, caption + ':', ...names.flat(), node('span', { class: 'scale' })),
          node('svg:svg', { 'data-pool': pool.name, 'data-chart': chart, viewBox: '0 0 300 64', preserveAspectRatio: 'none' }));
      });
      return node('section', { class: 'pool', 'data-pool': pool.name },
        node('h2', {}, pool.name + ' ', node('small', {}, pool.kind + ' pool · ' + pool.sizeKey)),
        node('dl', {}, ...numbers), ...charts,
        node('p', { class: 'advice', 'data-pool': pool.name, 'data-field': 'advice' }),
        node('ul', { class: 'running', 'data-pool': pool.name, 'data-field': 'running' }));
    }

    // Draws the series over the last `span` seconds (x) from 0 to their maximum (y), the
    // samples in which the pool was saturated shaded.
    function draw(svg, history, series) {
      const W = 300, H = 64, ago = history.secondsAgo, n = ago.length;
      const span = Math.max(60, n ? ago[0] : 0);
      const top = series.reduce((most, [, values]) => largest(values, most), 1);
      const x = a => W - a / span * W, y = v => H - 3 - v / top * (H - 6);
      const step = n > 1 ? (ago[0] - ago[n - 1]) / (n - 1) / span * W : 1;
      const bands = ago.flatMap((a, i) => history.saturated[i]
        ? [node('svg:rect', { class: 'sat', x: (x(a) - step).toFixed(1), y: 0, width: Math.max(1, step).toFixed(1), height: H })] : []);
      const lines = series.map(([, values], i) => node('svg:polyline', {
        class: 's' + (3 - series.length + i), points: values.map((v, j) => x(ago[j]).toFixed(1) + ',' + y(v).toFixed(1)).join(' ') }));
      svg.replaceChildren(...bands, ...lines);
      svg.dataset.points = n;
      svg.dataset.peak = largest(series[series.length - 1][1], 0);
      svg.parentNode.querySelector('.scale').textContent = 'max ' + format(top) + ' · last ' + Math.round(span) + ' s';
    }

    function renderPool(pool) {
      let section = document.querySelector('section.pool[data-pool="' + CSS.escape(pool.name) + '"]');
      if (!section) { section = card(pool); $('pools').append(section); }
      const field = name => section.querySelector('[data-field="' + name + '"]');
      for (const [name, , value, unit, bad] of FIELDS) {
        const v = value(pool), dd = field(name), known = v !== undefined && v !== null;
        dd.replaceChildren(name === 'queueCapacity' && !known ? '∞' : format(v), unit && known ? node('small', {}, ' ' + unit) : '');
        dd.dataset.value = known ? v : '';
        dd.classList.toggle('bad', Boolean(bad && known && bad(v, pool)));
      }
      field('advice').textContent = pool.advice;
      field('advice').dataset.verdict = pool.verdict || '';
      field('running').replaceChildren(...pool.running.map(task =>
        node('li', {}, (task.label || 'task') + ' on ' + task.thread + ': ' + format(task.runningMs) + ' ms')));
      const history = pool.history || { secondsAgo: [], saturated: [], size: [], active: [], queued: [], maxSize: [], waitP99Ms: [] };
      for (const [chart, , series] of CHARTS) draw(section.querySelector('[data-chart="' + chart + '"]'), history, series(history));
      return section;
    }

    const list = (items, empty) => items.length ? items : [node('li', { class: 'none' }, empty)];

    function render(report) {
      const shown = new Set(report.pools.map(renderPool));
      for (const section of document.querySelectorAll('section.pool')) if (!shown.has(section)) section.remove();
      $('warnings').replaceChildren(...list(report.warnings.map(text => node('li', {}, text)), 'none'));
      $('starvation').replaceChildren(...list(report.starvation.map(e => node('li', { 'data-pool': e.pool },
        e.pool + ' pool saturated ' + format(e.lastedSeconds) + ' s' + (e.ongoing ? ' (ongoing)' : '') + ', from '
        + format(e.startedSecondsAgo) + ' s ago; held by ' + e.heldBy)), 'none'));
      $('window').textContent = 'over the last ' + format(report.windowSeconds) + ' s';
      $('routes').replaceChildren(...(report.routes.length ? report.routes.map(r => node('tr', { 'data-route': r.route },
        ...[r.route, r.requests, r.ratePerSecond, r.frontMs, r.backMs, r.waitMs, r.totalMs].map(v => node('td', {}, format(v)))))
        : [node('tr', {}, node('td', { colspan: 7, class: 'muted' }, 'no requests in the window'))]));
    }

    function status(state, text) {
      $('status').dataset.state = state;
      $('status').textContent = text;
      document.body.classList.toggle('stale', state === 'disconnected');
    }

    // Fetch errors show as "disconnected" and the page keeps trying; an error while drawing
    // is a bug: it is left uncaught (so it reaches the console and #errors), after the next
    // refresh has been scheduled.
    async function refresh() {
      let report = null;
      try {
        const response = await fetch('/pools?history=1', { cache: 'no-store' });
        if (!response.ok) throw new Error('HTTP ' + response.status);
        report = await response.json();
      } catch (error) {
        status('disconnected', 'disconnected: ' + error.message);
      }
      setTimeout(refresh, 1000);
      if (report) {
        render(report);
        status('live', 'live');
        $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
      }
    }
    refresh();
    </script></body></html>
    """#
}
