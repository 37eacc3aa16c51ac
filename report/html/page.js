// The ftpscope HTML report draws itself from the JSON blocks in this file.
// Every string from the wire reaches the page as a text node or an
// attribute value set through the DOM, never as markup, and is shown with
// its control and bidi characters made visible, as the table shows them.
(function () {
  'use strict';
  var doc = document, root = doc.documentElement;
  var violations = 0;
  doc.addEventListener('securitypolicyviolation', function () {
    violations++;
    root.setAttribute('data-csp-violations', String(violations));
  });

  var VERDICTS = ['ok', 'dropped', 'refused', 'icmp', 'not-seen', 'unused', 'unknown'];
  var COLOURS = {ok: '#2e7d32', dropped: '#c62828', refused: '#e65100', icmp: '#6a1b9a',
    'not-seen': '#37699b', unused: '#8d8d8d', unknown: '#b08900'};
  // A page holds at most this many channel rows or sessions; the rest is
  // paged, so that a capture of 100 000 channels opens in seconds.
  var PAGE_CHANNELS = 1000, PAGE_SESSIONS = 100, SESSION_ROWS = 1000;
  // Which flag raises the limit behind each eviction counter.
  var LIMIT_FLAGS = {streams: '--max-streams', candidates: '--max-candidates', pages: '--max-pages',
    fragments: 'the IP fragment table', sessions: '--max-sessions', channels: '--max-channels',
    pending_commands: '--max-pending', attempts: '--max-attempts', notes: '--max-notes',
    channel_attempts: '--max-channel-attempts', memory_channels: '--max-memory', memory_sessions: '--max-memory'};

  var HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  function hex(n, w) { var s = n.toString(16); while (s.length < w) { s = '0' + s; } return s; }
  // vis shows a string as one visible line, as report.Escape does.
  function vis(s) {
    return String(s).replace(HIDDEN, function (c) {
      var n = c.charCodeAt(0);
      return n < 0x80 ? '\\x' + hex(n, 2) : '\\u' + hex(n, 4);
    });
  }
  // visLines keeps newlines and TABs: rule snippets are ftpscope's own text
  // around typed values, indented with TABs, and must paste as they read.
  function visLines(s) { return String(s).split('\n').map(function (l) { return l.split('\t').map(vis).join('\t'); }).join('\n'); }

  function $(id) { return doc.getElementById(id); }
  function add(parent, kids) {
    if (kids === undefined || kids === null || kids === false) { return; }
    if (Array.isArray(kids)) { kids.forEach(function (k) { add(parent, k); }); return; }
    parent.appendChild(typeof kids === 'object' ? kids : doc.createTextNode(vis(kids)));
  }
  function el(tag, attrs, kids) {
    var e = doc.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { if (attrs[k] !== undefined && attrs[k] !== null) { e.setAttribute(k, String(attrs[k])); } }); }
    add(e, kids);
    return e;
  }
  var SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    var e = doc.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) { e.textContent = vis(text); }
    return e;
  }
  function clip(s, n) { s = vis(s); return s.length > n ? s.slice(0, n - 1) + '…' : s; }
  function chip(v, text) { return el('span', {'class': 'chip v-' + v, 'data-v': v}, text === undefined ? v : text); }
  function ms(iso) { return iso ? Date.parse(String(iso).replace(/(\.\d{3})\d+/, '$1')) : NaN; }
  function shortTime(iso) { return iso ? String(iso).replace('T', ' ').replace(/(\.\d{3})\d+/, '$1') : ''; }
  function plural(n, w) { return n + ' ' + w + (n === 1 ? '' : 's'); }
  function fmtNum(n) { return typeof n === 'number' ? n.toLocaleString('en-US') : String(n); }
  function readJSON(node) {
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  // The data. Times since the navigation began are kept on the root
  // element: the file parsed (this script starts), its data decoded, the
  // page drawn.
  root.setAttribute('data-parsed-ms', String(Math.round(performance.now())));
  var sessions = [];
  var summary = readJSON($('fs-summary'));
  var firewall = readJSON($('fs-firewall'));
  var sections = [];
  Array.prototype.forEach.call(doc.querySelectorAll('script.fs-section'), function (b) {
    var s = readJSON(b);
    if (s && Array.isArray(s.records)) { sections.push(s); }
  });
  // Transfers (the ledger entry of each channel a transfer command used)
  // and logins, where the records have them.
  var channelTotal = 0, servers = {}, transfers = [], results = {}, logins = {}, notices = [];
  function index(r) {
    var s = r.session, vs = {};
    (s.channels || []).forEach(function (c, j) {
      vs[c.verdict] = (vs[c.verdict] || 0) + 1;
      if (c.transfer) {
        transfers.push({r: r, j: j, t: c.transfer});
        results[c.transfer.result] = (results[c.transfer.result] || 0) + 1;
      }
    });
    if (s.login && s.login.outcome) { logins[s.login.outcome] = (logins[s.login.outcome] || 0) + 1; }
    (r.notices || []).forEach(function (n) { if (n) { notices.push({r: r, n: n}); } });
    r.vs = vs;
    channelTotal += (s.channels || []).length;
    servers[s.server] = (servers[s.server] || 0) + 1;
    sessions.push(r);
  }
  // The session blocks are decoded a slice of time at a time, so that a
  // large report shows its first page while the rest is still read.
  var blocks = doc.querySelectorAll('script.fs-sessions'), decoded = 0;
  function decode(ms) {
    var t = performance.now();
    while (decoded < blocks.length && performance.now() - t < ms) {
      var a = readJSON(blocks[decoded]);
      decoded++;
      if (Array.isArray(a)) { a.forEach(index); }
    }
    return decoded >= blocks.length;
  }

  // The summary band.
  function tile(n, k, v) {
    return el('div', {'class': v ? 'tile v v-' + v : 'tile', 'data-v': v}, [el('span', {'class': 'n'}, fmtNum(n)), el('span', {'class': 'k'}, k)]);
  }
  var SUMMARY_KNOWN = {type: 1, session_count: 1, channel_count: 1, verdicts: 1, blocked: 1, nat: 1, tls_sessions: 1,
    packets: 1, bytes: 1, first: 1, last: 1, truncated: 1, damage: 1, interrupted: 1, open_at_end: 1, capture: 1,
    reassembly: 1, evictions: 1, anomalies: 1, fragments: 1, not_decoded: 1, live: 1};
  function renderSummary() {
    var box = $('summary');
    box.textContent = '';
    if (!summary) {
      add(box, el('p', {'class': 'bad'}, 'This report has no totals: the run that wrote it did not finish (the file ends early). ' +
        plural(sessions.length, 'session') + ' are in it.'));
      return;
    }
    var band = el('div', {'class': 'band'});
    add(band, [tile(summary.session_count, 'sessions'), tile(summary.channel_count, 'data channels')]);
    VERDICTS.forEach(function (v) { add(band, tile((summary.verdicts || {})[v] || 0, v, v)); });
    add(band, [tile(summary.blocked, 'blocked'), tile(summary.nat, 'NAT'), tile(summary.tls_sessions, 'TLS sessions')]);
    if (transfers.length) {
      add(band, tile(transfers.length, 'transfers'));
      Object.keys(results).sort().forEach(function (k) { add(band, tile(results[k], 'transfers ' + k)); });
    }
    if (logins.success) { add(band, tile(logins.success, 'logins succeeded')); }
    if (logins.failure) { add(band, tile(logins.failure, 'logins failed', 'dropped')); }
    if (notices.length) { add(band, tile(notices.length, 'notices', 'refused')); }
    // Counts other versions add to the summary show as tiles too.
    Object.keys(summary).forEach(function (k) {
      if (!SUMMARY_KNOWN[k] && typeof summary[k] === 'number') { add(band, tile(summary[k], k.replace(/_/g, ' '))); }
    });
    add(box, band);
    var lines = el('ul', {'class': 'notes'});
    var first = ms(summary.first), last = ms(summary.last);
    var span = summary.first ? shortTime(summary.first) + ' to ' + shortTime(summary.last) +
      (isNaN(first) || isNaN(last) ? '' : ' (' + ((last - first) / 1000).toFixed(3) + ' s)') : 'no packet';
    add(lines, el('li', null, 'Capture: ' + span + ', ' + fmtNum(summary.packets) + ' packets, ' + fmtNum(summary.bytes) + ' bytes.'));
    add(box, lines);
    var warn = [];
    (summary.damage || []).forEach(function (d) {
      warn.push('Damaged capture: ' + d.file + ' after packet ' + d.after_packet + ' (offset ' + d.offset + '): ' + d.error + '. Everything before it is reported.');
    });
    if (summary.truncated && !(summary.damage || []).length) { warn.push('The capture is truncated.'); }
    if (summary.interrupted) { warn.push('The run was interrupted: the report covers what was read before.'); }
    if (summary.open_at_end) { warn.push(plural(summary.open_at_end, 'session') + ' still open when the capture ended.'); }
    Object.keys(summary.evictions || {}).forEach(function (k) {
      var n = summary.evictions[k];
      if (n) { warn.push('Limit reached: ' + fmtNum(n) + ' ' + k.replace(/_/g, ' ') + ' evicted or not followed (' + (LIMIT_FLAGS[k] || 'a table limit') + ').'); }
    });
    var live = summary.live || {};
    if (live.kernel_dropped || live.interface_dropped) {
      warn.push(fmtNum(live.kernel_dropped || 0) + ' packets dropped by the kernel and ' + fmtNum(live.interface_dropped || 0) + ' by the interface: verdicts may be wrong.');
    }
    if (firewall && firewall.evicted) { warn.push(fmtNum(firewall.evicted) + ' server(s) not profiled in the firewall view to keep memory bounded.'); }
    if (warn.length) {
      var w = el('div', {'class': 'bad', id: 'damage'});
      add(w, el('strong', null, 'Damage and limits'));
      var ul = el('ul', {'class': 'notes'});
      warn.forEach(function (t) { add(ul, el('li', null, t)); });
      add(w, ul);
      add(box, w);
    }
    var odd = [];
    [['anomalies', summary.anomalies], ['not decoded', summary.not_decoded], ['reassembly', summary.reassembly]].forEach(function (p) {
      var parts = [];
      Object.keys(p[1] || {}).forEach(function (k) { if (p[1][k]) { parts.push(k.replace(/_/g, ' ') + ' ' + fmtNum(p[1][k])); } });
      if (parts.length) { odd.push(p[0] + ': ' + parts.join(', ')); }
    });
    if (odd.length) {
      var d = el('details', null, el('summary', {'class': 'mute'}, 'Counters'));
      var u = el('ul', {'class': 'notes mono'});
      odd.forEach(function (t) { add(u, el('li', null, t)); });
      add(d, u);
      add(box, d);
    }
  }

  // The timeline: every channel at its capture time, on the row of its
  // session; sessions that do not overlap in time share a row.
  var ROWS = 200;
  function renderTimeline() {
    var box = $('timeline');
    var marks = [], t0 = Infinity, t1 = -Infinity, ends = [];
    sessions.forEach(function (r) {
      var s = r.session, a = ms(s.start), b = ms(s.end), lane = -1;
      if (!isNaN(a)) { t0 = Math.min(t0, a); t1 = Math.max(t1, a); }
      if (!isNaN(b)) { t1 = Math.max(t1, b); }
      var first = a, last = isNaN(b) ? a : b;
      (s.channels || []).forEach(function (c) { var t = ms(c.time); if (!isNaN(t)) { first = isNaN(first) ? t : Math.min(first, t); last = isNaN(last) ? t : Math.max(last, t); } });
      for (var k = 0; k < ends.length; k++) { if (ends[k] < first) { lane = k; break; } }
      if (lane < 0 && ends.length < ROWS) { lane = ends.length; ends.push(0); }
      if (lane < 0) { lane = 0; for (k = 1; k < ends.length; k++) { if (ends[k] < ends[lane]) { lane = k; } } }
      ends[lane] = Math.max(ends[lane], last);
      (s.channels || []).forEach(function (c, j) {
        var t = ms(c.time);
        if (isNaN(t)) { t = a; }
        if (isNaN(t)) { return; }
        t0 = Math.min(t0, t); t1 = Math.max(t1, t);
        marks.push({t: t, lane: lane, r: r, j: j, v: c.verdict});
      });
    });
    if (!marks.length) { add(box, el('p', {'class': 'mute'}, 'No data channel was announced in this capture.')); return; }
    if (t1 <= t0) { t1 = t0 + 1; }
    var W = Math.max(600, Math.min(1460, (box.clientWidth || 1200) - 18));
    var lanes = Math.max(1, ends.length), H = Math.max(60, Math.min(260, lanes * 8));
    var canvas = el('canvas', {width: W, height: H, role: 'img', 'aria-label': 'Timeline of ' + plural(marks.length, 'data channel')});
    var tip = el('div', {'class': 'tip'});
    add(box, [canvas, el('div', {'class': 'axis'}, [el('span', null, shortTime(new Date(t0).toISOString())), el('span', null, 'capture time (UTC); a row holds sessions that do not overlap'), el('span', null, shortTime(new Date(t1).toISOString()))]), tip]);
    var ctx = canvas.getContext('2d');
    var laneH = H / lanes;
    if (laneH >= 4) {
      ctx.fillStyle = '#f1f3f6';
      for (var l = 0; l < lanes; l += 2) { ctx.fillRect(0, l * laneH, W, laneH); }
    }
    // Draw the rarer verdicts last, so that a blocked channel among many
    // good ones stays visible.
    var order = {ok: 0, unused: 1, unknown: 2, 'not-seen': 3, icmp: 4, refused: 5, dropped: 6};
    marks.sort(function (a, b) { return (order[a.v] || 0) - (order[b.v] || 0); });
    var cols = new Array(W);
    marks.forEach(function (m) {
      var x = Math.min(W - 3, Math.floor((m.t - t0) / (t1 - t0) * (W - 3)));
      var y = Math.floor(m.lane * laneH), h = Math.max(2, Math.floor(laneH) - (laneH >= 4 ? 1 : 0));
      ctx.fillStyle = COLOURS[m.v] || '#777';
      ctx.fillRect(x, y, 3, h);
      m.x = x; m.y = y; m.h = h;
      (cols[x] = cols[x] || []).push(m);
    });
    function find(ev) {
      var rect = canvas.getBoundingClientRect();
      var x = Math.round((ev.clientX - rect.left) * W / rect.width), y = (ev.clientY - rect.top) * H / rect.height;
      var best = null, bd = 1e9;
      for (var dx = -4; dx <= 4; dx++) {
        (cols[x + dx] || []).forEach(function (m) {
          var dy = y < m.y ? m.y - y : (y > m.y + m.h ? y - m.y - m.h : 0);
          var d = Math.abs(dx) + dy;
          if (dy <= 4 && d < bd) { bd = d; best = m; }
        });
      }
      return best;
    }
    canvas.addEventListener('mousemove', function (ev) {
      var m = find(ev);
      if (!m) { tip.style.display = 'none'; return; }
      var s = m.r.session, c = s.channels[m.j];
      tip.textContent = vis('session #' + m.r.n + ' ' + s.client + ' → ' + s.server + ' · channel #' + (m.j + 1) + ' ' + c.verdict + ' · ' + shortTime(c.time));
      tip.style.display = 'block';
      tip.style.left = Math.min(ev.offsetX + 14, W - 300) + 'px';
      tip.style.top = (ev.offsetY + 14) + 'px';
    });
    canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
    canvas.addEventListener('click', function (ev) { var m = find(ev); if (m) { reveal(m.r.n); } });
    var legend = el('div', {'class': 'legend'});
    var counts = {};
    marks.forEach(function (m) { counts[m.v] = (counts[m.v] || 0) + 1; });
    VERDICTS.forEach(function (v) {
      if (counts[v]) { add(legend, el('span', {'class': 'v-' + v}, [el('span', {'class': 'sw'}), v + ' ' + fmtNum(counts[v])])); }
    });
    add(legend, el('span', {'class': 'mute'}, 'click a mark to open its session'));
    add(box, legend);
  }

  // Facts: a generic rendering of what a record holds, so that fields a
  // newer ftpscope adds to the JSON show up without a change here.
  function scalar(v) {
    if (v === null || v === undefined) { return ''; }
    if (typeof v === 'object') {
      if (Array.isArray(v)) { return v.map(scalar).join(', '); }
      return Object.keys(v).map(function (k) { return k + '=' + scalar(v[k]); }).join(', ');
    }
    return String(v);
  }
  function isRecords(v) { return Array.isArray(v) && v.length > 0 && v[0] !== null && typeof v[0] === 'object' && !Array.isArray(v[0]); }
  function recordsTable(recs, limit) {
    var cols = [];
    recs.slice(0, 50).forEach(function (r) { Object.keys(r).forEach(function (k) { if (cols.indexOf(k) < 0) { cols.push(k); } }); });
    var t = el('table', null, el('thead', null, el('tr', null, cols.map(function (c) { return el('th', null, c.replace(/_/g, ' ')); }))));
    var tb = el('tbody');
    recs.slice(0, limit || 1000).forEach(function (r) {
      add(tb, el('tr', null, cols.map(function (c) { return el('td', null, scalar(r[c])); })));
    });
    add(t, tb);
    var out = [t];
    if (recs.length > (limit || 1000)) { out.push(el('p', {'class': 'mute'}, (recs.length - (limit || 1000)) + ' more not shown; the JSON report has them all.')); }
    return out;
  }
  function facts(obj, skip) {
    var dl = el('dl', {'class': 'facts'});
    Object.keys(obj).forEach(function (k) {
      var v = obj[k];
      if (skip[k] || isRecords(v) || v === '' || v === null || v === undefined || (Array.isArray(v) && !v.length)) { return; }
      add(dl, [el('dt', null, k.replace(/_/g, ' ')), el('dd', null, scalar(v))]);
    });
    return dl;
  }

  // The SVG ladder: the facts of --ladder. A step is [t, kind, to_server,
  // label, channel, flags]: kind c(ontrol), t(ls) or d(ata); channel the
  // number of the channel the row is tagged with; flags 1 the attempt died,
  // 2 it stopped short of the far lifeline.
  function step(s, a) {
    var c = a[4] ? (s.channels || [])[a[4] - 1] : null, f = a[5] || 0;
    return {t: a[0], kind: {c: 'control', t: 'tls', d: 'data'}[a[1]] || 'control', to_server: a[2] === 1, label: a[3],
      tag: c ? '#' + a[4] + ' ' + c.verdict : '', verdict: c ? c.verdict : '', dies: (f & 1) !== 0, short: (f & 2) !== 0};
  }
  function ladder(r) {
    var s = r.session, steps = (r.ladder || []).map(function (a) { return step(s, a); });
    if (!steps.length) { return el('p', {'class': 'mute'}, 'No control exchange or data connection recorded for the ladder.'); }
    var W = 980, CX = 110, SX = 690, TAGX = 706, ROW = 22, TOP = 44;
    var H = TOP + steps.length * ROW + 12;
    var g = svg('svg', {'class': 'ladder', viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img'});
    g.setAttribute('aria-label', vis('Ladder of session ' + r.n + ': client ' + s.client + ', server ' + s.server));
    g.appendChild(svg('text', {x: 4, y: 36, fill: '#5d6670'}, 'seconds'));
    g.appendChild(svg('text', {x: CX, y: 16, 'text-anchor': 'middle', 'font-weight': 'bold'}, 'client ' + s.client));
    g.appendChild(svg('text', {x: SX, y: 16, 'text-anchor': 'middle', 'font-weight': 'bold'}, 'server ' + s.server));
    g.appendChild(svg('line', {x1: CX, y1: 24, x2: CX, y2: H - 6, stroke: '#44505c', 'stroke-width': 2}));
    g.appendChild(svg('line', {x1: SX, y1: 24, x2: SX, y2: H - 6, stroke: '#44505c', 'stroke-width': 2}));
    steps.forEach(function (st, i) {
      var y = TOP + i * ROW + 8;
      var row = svg('g', {'class': 'step step-' + st.kind});
      row.appendChild(svg('text', {x: 64, y: y + 4, 'text-anchor': 'end', fill: '#5d6670'}, st.t.toFixed(3)));
      if (st.kind === 'tls') {
        row.appendChild(svg('rect', {x: CX, y: y - 8, width: SX - CX, height: 14, fill: '#fff4e5', stroke: '#f0b86e', 'stroke-dasharray': '4 3'}));
        row.appendChild(svg('text', {x: (CX + SX) / 2, y: y + 3, 'text-anchor': 'middle', fill: '#8a5a00'}, st.label));
        g.appendChild(row);
        return;
      }
      var from = st.to_server ? CX : SX, to = st.to_server ? SX : CX, dir = st.to_server ? 1 : -1;
      if (st.short) { to -= dir * 60; }
      var colour = st.kind === 'data' ? (COLOURS[st.verdict] || '#777') : '#44505c';
      var line = svg('line', {x1: from, y1: y, x2: to - dir * (st.dies ? 0 : 7), y2: y, stroke: colour, 'stroke-width': st.kind === 'data' ? 3 : 1.3});
      if (st.kind === 'data' && st.dies) { line.setAttribute('stroke-dasharray', '7 4'); }
      row.appendChild(line);
      if (st.dies) {
        row.appendChild(svg('path', {d: 'M' + (to - 5) + ' ' + (y - 5) + 'L' + (to + 5) + ' ' + (y + 5) + 'M' + (to - 5) + ' ' + (y + 5) + 'L' + (to + 5) + ' ' + (y - 5), stroke: colour, 'stroke-width': 2.5}));
      } else {
        row.appendChild(svg('polygon', {points: to + ',' + y + ' ' + (to - dir * 9) + ',' + (y - 4) + ' ' + (to - dir * 9) + ',' + (y + 4), fill: colour}));
      }
      var label = svg('text', {x: (CX + SX) / 2, y: y - 4, 'text-anchor': 'middle', fill: st.kind === 'data' ? colour : '#1d232a'}, clip(st.label, 84));
      label.appendChild(svg('title', {}, st.label));
      row.appendChild(label);
      if (st.tag) { row.appendChild(svg('text', {x: TAGX, y: y + 4, fill: COLOURS[st.verdict] || '#1d232a', 'font-weight': 'bold'}, st.tag)); }
      g.appendChild(row);
    });
    return g;
  }

  // The sessions list.
  var CHANNEL_COLS = ['#', 'time', 'method', 'announced', 'command', 'reply', 'connection', 'SYN', 'bytes', 'verdict', 'reason', ''];
  var CHANNEL_SHOWN = {method: 1, mode: 1, announced: 1, time: 1, command: 1, argument: 1, reply: 1, reply_text: 1, connection: 1, syn: 1, bytes: 1, verdict: 1, reason: 1};
  function channelRow(c, j) {
    var more = el('details', null, el('summary', {'class': 'mute'}, 'facts'));
    more.addEventListener('toggle', function once() {
      more.removeEventListener('toggle', once);
      add(more, facts(c, CHANNEL_SHOWN));
    });
    var conn = c.connection ? c.connection.from + ' → ' + c.connection.to : '';
    var reply = c.reply === null || c.reply === undefined ? '' : String(c.reply);
    if (c.reply_text) { reply += ' ' + c.reply_text; }
    return el('tr', {'data-verdict': c.verdict, 'class': 'v-' + c.verdict}, [
      el('td', null, String(j + 1)), el('td', {'class': 'mono'}, shortTime(c.time).slice(11)), el('td', null, c.method + ' (' + c.mode + ')'),
      el('td', {'class': 'mono'}, c.announced), el('td', {'class': 'mono'}, (c.command + ' ' + c.argument).trim()),
      el('td', null, reply), el('td', {'class': 'mono'}, conn), el('td', null, String(c.syn)), el('td', null, fmtNum(c.bytes)),
      el('td', null, chip(c.verdict)), el('td', {'class': 'reason'}, c.reason), el('td', null, more)]);
  }
  function channelRows(tb, chans, from) {
    var to = Math.min(chans.length, from + SESSION_ROWS);
    for (var j = from; j < to; j++) { add(tb, channelRow(chans[j], j)); }
    return to;
  }
  var SESSION_SHOWN = {type: 1, channels: 1, client: 1, server: 1, login: 1};
  function sessionEl(r) {
    var s = r.session, chans = s.channels || [];
    var d = el('details', {'class': 'session', 'data-session': r.n, id: 'session-' + r.n});
    var chips = VERDICTS.filter(function (v) { return r.vs[v]; }).map(function (v) { return chip(v, v + ' ' + r.vs[v]); });
    var head = el('summary', null, [el('span', {'class': 'num'}, '#' + r.n), el('span', {'class': 'mono'}, s.client + ' → ' + s.server), ' ',
      el('span', {'class': 'mute'}, shortTime(s.start)), s.user ? ' user ' + s.user : '', s.login && s.login.outcome === 'failure' ? el('span', {'class': 'chip v-dropped'}, 'login failed') : '', s.tls ? ' · TLS' : '', ' · ' + plural(chans.length, 'channel') + ' ', chips]);
    add(d, head);
    var body = el('div', {'class': 'sbody'});
    if (chans.length) {
      var t = el('table', {'class': 'channels'}, el('thead', null, el('tr', null, CHANNEL_COLS.map(function (c) { return el('th', null, c); }))));
      var tb = el('tbody');
      add(t, tb);
      var shown = channelRows(tb, chans, 0);
      add(body, t);
      if (shown < chans.length) {
        var btn = el('button', {'class': 'more'}, 'show the next ' + Math.min(SESSION_ROWS, chans.length - shown) + ' of ' + (chans.length - shown) + ' more channels');
        btn.addEventListener('click', function () {
          shown = channelRows(tb, chans, shown);
          if (shown >= chans.length) { btn.remove(); } else { btn.textContent = 'show the next ' + Math.min(SESSION_ROWS, chans.length - shown) + ' of ' + (chans.length - shown) + ' more channels'; }
        });
        add(body, btn);
      }
    } else {
      add(body, el('p', {'class': 'mute'}, 'No data channel announced.'));
    }
    if (s.channels_dropped) { add(body, el('p', {'class': 'warn'}, s.channels_dropped + ' more channels judged and counted, not listed (--max-channels).')); }
    var lazy = el('div');
    add(body, lazy);
    add(d, body);
    d.addEventListener('toggle', function once() {
      d.removeEventListener('toggle', once);
      add(lazy, [el('h4', null, 'Ladder'), ladder(r), el('h4', null, 'Session'), facts(s, SESSION_SHOWN)]);
      var tr = [];
      chans.forEach(function (c, j) { if (c.transfer) { tr.push(Object.assign({channel: j + 1}, c.transfer)); } });
      if (tr.length) { add(lazy, [el('h4', null, 'Transfers'), recordsTable(tr)]); }
      if (isRecords(r.notices)) { add(lazy, [el('h4', null, 'Notices'), recordsTable(r.notices)]); }
      (r.listings || []).forEach(function (l) {
        add(lazy, [el('h4', null, 'Listing: ' + l.command + ' ' + l.path + ' (' + l.format + ', ' + (l.entries || []).length + ((l.entries || []).length === 1 ? ' entry' : ' entries') + (l.entries_dropped ? ', ' + l.entries_dropped + ' more not kept' : '') + ')'),
          isRecords(l.entries) ? recordsTable(l.entries) : el('p', {'class': 'mute'}, 'No entry parsed.')]);
      });
      if (s.login && typeof s.login === 'object') {
        add(lazy, [el('h4', null, 'Login'), facts(s.login, {})]);
        if (isRecords(s.login.attempts)) { add(lazy, recordsTable(s.login.attempts)); }
      }
      // Lists in the record (notes, lint findings, and whatever a newer
      // ftpscope adds: transfers, logins) each get a table.
      Object.keys(s).forEach(function (k) {
        if (k !== 'channels' && isRecords(s[k])) { add(lazy, [el('h4', null, k.replace(/_/g, ' ')), recordsTable(s[k])]); }
      });
    });
    return d;
  }

  // Filters and pages.
  var filtered = sessions, page = 0, pages = [0];
  var fv = el('select', {id: 'f-verdict'}), fs = el('select', {id: 'f-server'});
  var fc = el('input', {id: 'f-client', type: 'search', placeholder: 'address or port'}), ft = el('input', {id: 'f-text', type: 'search', placeholder: 'any text, #12 for a session'});
  function textOf(r) {
    if (r.text === undefined) { r.text = (JSON.stringify(r.session) + JSON.stringify(r.ladder)).toLowerCase(); }
    return r.text;
  }
  function apply() {
    var v = fv.value, sv = fs.value, cv = fc.value.trim(), tv = ft.value.trim().toLowerCase();
    var num = /^#\d+$/.test(tv) ? parseInt(tv.slice(1), 10) : 0;
    filtered = sessions.filter(function (r) {
      if (v && !r.vs[v]) { return false; }
      if (sv && r.session.server !== sv) { return false; }
      if (cv && r.session.client.indexOf(cv) < 0) { return false; }
      if (num) { return r.n === num; }
      return !tv || textOf(r).indexOf(tv) >= 0;
    });
    pages = [0];
    var n = 0, k = 0;
    filtered.forEach(function (r, i) {
      var c = Math.min((r.session.channels || []).length, SESSION_ROWS);
      if (k > 0 && (n + c > PAGE_CHANNELS || k >= PAGE_SESSIONS)) { pages.push(i); n = 0; k = 0; }
      n += c; k++;
    });
    page = 0;
    renderPage();
  }
  var timer = 0;
  function later() { clearTimeout(timer); timer = setTimeout(apply, 150); }
  function pager(box) {
    box.textContent = '';
    var p = el('div', {'class': 'pager'});
    var from = pages[page], to = page + 1 < pages.length ? pages[page + 1] : filtered.length;
    var prev = el('button', null, '‹ previous'), next = el('button', null, 'next ›');
    prev.disabled = page === 0; next.disabled = page + 1 >= pages.length;
    prev.addEventListener('click', function () { page--; renderPage(); });
    next.addEventListener('click', function () { page++; renderPage(); });
    var what = filtered.length ? 'sessions ' + (from + 1) + '–' + to + ' of ' + fmtNum(filtered.length) : 'no session matches';
    if (filtered.length !== sessions.length) { what += ' (filtered from ' + fmtNum(sessions.length) + ')'; }
    add(p, [prev, el('span', null, what + (pages.length > 1 ? ', page ' + (page + 1) + ' of ' + pages.length : '')), next]);
    add(box, p);
  }
  function renderPage() {
    var list = $('sessions');
    list.textContent = '';
    var from = pages[page], to = page + 1 < pages.length ? pages[page + 1] : filtered.length;
    var frag = doc.createDocumentFragment();
    for (var i = from; i < to; i++) { frag.appendChild(sessionEl(filtered[i])); }
    list.appendChild(frag);
    pager($('pager'));
    pager($('pager2'));
    root.setAttribute('data-page-sessions', String(to - from));
  }
  function reveal(n) {
    fv.value = ''; fs.value = ''; fc.value = ''; ft.value = '#' + n;
    apply();
    var d = $('session-' + n);
    if (d) { d.open = true; d.classList.add('target'); d.scrollIntoView({block: 'start'}); }
  }
  function renderFilters() {
    var box = $('filters');
    add(fv, el('option', {value: ''}, 'any verdict'));
    var vc = {};
    sessions.forEach(function (r) { Object.keys(r.vs).forEach(function (v) { vc[v] = (vc[v] || 0) + 1; }); });
    VERDICTS.forEach(function (v) { if (vc[v]) { add(fv, el('option', {value: v}, v + ' (' + plural(vc[v], 'session') + ')')); } });
    add(fs, el('option', {value: ''}, 'any server'));
    Object.keys(servers).sort().forEach(function (k) { add(fs, el('option', {value: k}, k + ' (' + servers[k] + ')')); });
    var reset = el('button', null, 'clear');
    reset.addEventListener('click', function () { fv.value = ''; fs.value = ''; fc.value = ''; ft.value = ''; apply(); });
    var open = el('button', null, 'open all on this page');
    open.addEventListener('click', function () { Array.prototype.forEach.call(doc.querySelectorAll('details.session'), function (d) { d.open = true; }); });
    fv.addEventListener('change', apply); fs.addEventListener('change', apply);
    fc.addEventListener('input', later); ft.addEventListener('input', later);
    fc.addEventListener('change', function () { clearTimeout(timer); apply(); });
    ft.addEventListener('change', function () { clearTimeout(timer); apply(); });
    add(box, [el('label', null, ['verdict', fv]), el('label', null, ['server', fs]), el('label', null, ['client', fc]), el('label', null, ['text', ft]), reset, open]);
  }

  // The firewall view.
  function copy(text, btn) {
    function done(ok) { btn.textContent = ok ? 'copied' : 'select and copy by hand'; setTimeout(function () { btn.textContent = 'copy'; }, 1500); }
    function fallback() {
      var pre = btn.nextSibling, range = doc.createRange();
      range.selectNodeContents(pre);
      var sel = window.getSelection();
      sel.removeAllRanges(); sel.addRange(range);
      var ok = false;
      try { ok = doc.execCommand('copy'); } catch (e) { ok = false; }
      done(ok);
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else { fallback(); }
  }
  function renderFirewall() {
    var box = $('firewall');
    var list = (firewall && firewall.servers) || [];
    if (!list.length) { add(box, el('p', {'class': 'mute'}, 'No FTP server seen.')); return; }
    list.forEach(function (p) {
      var card = el('div', {'class': 'card', 'data-server': p.server});
      add(card, el('h3', null, 'Server ' + p.server + ' · ' + plural(p.sessions, 'session') + ', ' + shortTime(p.first) + ' to ' + shortTime(p.last)));
      var methods = Object.keys(p.methods || {}).map(function (m) { return m + ' ' + p.methods[m]; }).join(', ');
      var rows = [
        ['Control port', (p.control_ports || []).join(', ')],
        ['Passive ports', p.passive.channels ? p.passive.range + ' (' + plural(p.passive.channels, 'channel') + ')' : 'none seen'],
        ['Active source port', p.active.channels ? (p.active.source_port || 'no connection seen') + ' (' + plural(p.active.channels, 'channel') + ', ' + p.active.from_20 + ' from 20, ' + p.active.ephemeral + ' ephemeral)' : 'none seen'],
        ['Methods', methods],
        ['EPSV / EPRT', (p.epsv ? 'yes' : 'no') + ' / ' + (p.eprt ? 'yes' : 'no')],
        ['TLS', p.tls_sessions + ' of ' + plural(p.sessions, 'session')],
        ['Blocked', p.blocked_active + ' active, ' + p.blocked_passive + ' passive' + (p.blocked_passive_range ? ' (passive ports ' + p.blocked_passive_range + ')' : '')]];
      if ((p.private_announced || []).length) { rows.push(['NAT', 'passive replies announce ' + p.private_announced.join(', ') + ' (private)']); }
      if (p.client_nat) { rows.push(['Client NAT', p.client_nat + ' PORT/EPRT naming an address that is not the client\'s']); }
      add(card, el('table', null, el('tbody', null, rows.map(function (r) { return el('tr', null, [el('th', null, r[0]), el('td', null, r[1])]); }))));
      (p.suggestions || []).forEach(function (sg) {
        var pre = el('pre', {'class': 'snippet'});
        pre.textContent = visLines(sg.text);
        var btn = el('button', {'class': 'copy'}, 'copy');
        btn.addEventListener('click', function () { copy(pre.textContent, btn); });
        add(card, [el('h4', null, sg.title + (sg.kind ? ' (' + sg.kind + ')' : '')), btn, pre]);
      });
      add(box, card);
    });
  }

  // Every transfer of the capture, a page at a time.
  var TRANSFER_ROWS = 200;
  // The ledger's facts the table has a column for; the rest come after them.
  var TRANSFER_SHOWN = {direction: 1, command: 1, path: 1, bytes: 1, missing_bytes: 1, expected_bytes: 1, result: 1, reason: 1,
    path_relative: 1, type: 1, mode: 1, structure: 1, expected_from: 1, reply: 1, aborted: 1, abort_idle: 1, duration_ms: 1, throughput_bps: 1};
  function renderTransfers() {
    if (!transfers.length) { return; }
    var sec = el('section', {id: 'transfers-sec'}, el('h2', null, 'Transfers and files'));
    var pg = el('div', {'class': 'pager'}), box = el('div');
    add(sec, [pg, box]);
    $('extra').parentNode.insertBefore(sec, $('firewall-sec'));
    var at = 0;
    function draw() {
      box.textContent = ''; pg.textContent = '';
      // Facts a newer ledger adds (hashes, file types) get columns of their own.
      var extra = [];
      transfers.slice(at, at + TRANSFER_ROWS).forEach(function (x) {
        Object.keys(x.t).forEach(function (k) { if (!TRANSFER_SHOWN[k] && extra.indexOf(k) < 0) { extra.push(k); } });
      });
      var t = el('table', null, el('thead', null, el('tr', null, ['session', 'channel', 'direction', 'command', 'path', 'bytes', 'missing', 'expected', 'result', 'reason'].concat(extra.map(function (k) { return k.replace(/_/g, ' '); })).map(function (c) { return el('th', null, c); }))));
      var tb = el('tbody');
      transfers.slice(at, at + TRANSFER_ROWS).forEach(function (x) {
        var link = el('button', null, '#' + x.r.n);
        link.addEventListener('click', function () { reveal(x.r.n); });
        add(tb, el('tr', {'data-transfer-result': x.t.result}, [el('td', null, link), el('td', null, String(x.j + 1)), el('td', null, x.t.direction),
          el('td', null, x.t.command), el('td', {'class': 'mono'}, x.t.path), el('td', null, fmtNum(x.t.bytes)), el('td', null, fmtNum(x.t.missing_bytes)),
          el('td', null, x.t.expected_bytes === undefined ? '' : fmtNum(x.t.expected_bytes)), el('td', null, x.t.result), el('td', {'class': 'reason'}, x.t.reason)].concat(extra.map(function (k) { return el('td', {'class': 'mono'}, scalar(x.t[k])); }))));
      });
      add(t, tb);
      add(box, t);
      var prev = el('button', null, '‹ previous'), next = el('button', null, 'next ›');
      prev.disabled = at === 0; next.disabled = at + TRANSFER_ROWS >= transfers.length;
      prev.addEventListener('click', function () { at -= TRANSFER_ROWS; draw(); });
      next.addEventListener('click', function () { at += TRANSFER_ROWS; draw(); });
      add(pg, [prev, el('span', null, 'transfers ' + (at + 1) + '–' + Math.min(at + TRANSFER_ROWS, transfers.length) + ' of ' + fmtNum(transfers.length)), next]);
    }
    draw();
  }

  // The notices of every session (logins that failed again and again, risky
  // commands, whatever the audit flags), a page at a time.
  function renderNotices() {
    if (!notices.length) { return; }
    var sec = el('section', {id: 'notices-sec'}, el('h2', null, 'Notices'));
    var pg = el('div', {'class': 'pager'}), box = el('div');
    add(sec, [pg, box]);
    $('extra').parentNode.insertBefore(sec, $('sessions-sec'));
    var at = 0;
    function draw() {
      box.textContent = ''; pg.textContent = '';
      var t = el('table', null, el('thead', null, el('tr', null, ['session', 'time', 'kind', 'client', 'server', 'reason'].map(function (c) { return el('th', null, c); }))));
      var tb = el('tbody');
      notices.slice(at, at + TRANSFER_ROWS).forEach(function (x) {
        var link = el('button', null, '#' + x.r.n);
        link.addEventListener('click', function () { reveal(x.r.n); });
        add(tb, el('tr', {'data-notice': x.n.kind}, [el('td', null, link), el('td', {'class': 'mono'}, shortTime(x.n.time)), el('td', null, x.n.kind),
          el('td', {'class': 'mono'}, x.n.client), el('td', {'class': 'mono'}, x.n.server), el('td', {'class': 'reason'}, x.n.reason)]));
      });
      add(t, tb);
      add(box, t);
      var prev = el('button', null, '‹ previous'), next = el('button', null, 'next ›');
      prev.disabled = at === 0; next.disabled = at + TRANSFER_ROWS >= notices.length;
      prev.addEventListener('click', function () { at -= TRANSFER_ROWS; draw(); });
      next.addEventListener('click', function () { at += TRANSFER_ROWS; draw(); });
      add(pg, [prev, el('span', null, 'notices ' + (at + 1) + '–' + Math.min(at + TRANSFER_ROWS, notices.length) + ' of ' + fmtNum(notices.length)), next]);
    }
    draw();
  }

  // Sections added outside the session records (AddSection).
  function renderSections() {
    var box = $('extra');
    sections.forEach(function (s) {
      var sec = el('section', {'class': 'extra'}, el('h2', null, s.title || 'More'));
      add(sec, s.records.length ? recordsTable(s.records) : el('p', {'class': 'mute'}, 'None.'));
      add(box, sec);
    });
  }

  function loading(text) {
    var l = $('loading');
    if (l) { l.textContent = text; }
  }
  function start() {
    renderSummary();
    renderFirewall();
    var done = decode(200);
    apply();
    root.setAttribute('data-first-page-ms', String(Math.round(performance.now())));
    function more() {
      if (!done) {
        done = decode(150);
        loading('Reading the report: ' + fmtNum(sessions.length) + ' sessions so far…');
        setTimeout(more, 0);
        return;
      }
      finish();
    }
    if (done) { finish(); } else { loading('Reading the report: ' + fmtNum(sessions.length) + ' sessions so far…'); setTimeout(more, 0); }
  }
  function finish() {
    root.setAttribute('data-decoded-ms', String(Math.round(performance.now())));
    renderSummary();
    renderTimeline();
    renderFilters();
    var keep = page;
    apply();
    if (keep < pages.length && keep !== page) { page = keep; renderPage(); }
    renderNotices();
    renderTransfers();
    renderSections();
    // A link to #session-N opens that session; #all opens every session on
    // the first page (for a screenshot or a print).
    var h = /^#session-(\d+)$/.exec(location.hash);
    if (h) { reveal(parseInt(h[1], 10)); }
    if (location.hash === '#all') { Array.prototype.forEach.call(doc.querySelectorAll('details.session'), function (d) { d.open = true; }); }
    var l = $('loading');
    if (l) { l.remove(); }
    root.setAttribute('data-sessions', String(sessions.length));
    root.setAttribute('data-channels', String(channelTotal));
    // Milliseconds from the start of the navigation to the whole page
    // drawn: the file read and parsed, its data decoded, the page drawn.
    root.setAttribute('data-drawn-ms', String(Math.round(performance.now())));
    root.setAttribute('data-ready', 'true');
  }
  start();
}());
