// The dashboard page: history from the service (/history.json), then live over MQTT-over-WebSocket: verdicts for the
// chart, the feed topic for the live picture, heatmaps of rejects, and counts and rates from the service's retained
// status (not counted here, so a reload loses nothing). No build step, no CDN: mqtt.min.js is served by the service.
/* global mqtt */
const maxRejectRows = 20;
const cards = new Map();
let chartMs = 120_000;

function card(camera, line) {
  const key = `${line}/${camera}`;
  let el = cards.get(key);
  if (!el) {
    el = document.getElementById('camera-card').content.firstElementChild.cloneNode(true);
    el.dataset.camera = camera;
    el.querySelector('.name').textContent = key;
    el.points = [];
    document.getElementById('cameras').append(el);
    cards.set(key, el);
  }
  return el;
}

function fmt(x, digits = 4) {
  return x === null || x === undefined ? '—' : Number(x).toFixed(digits);
}

// Score over the last chartMs: the score line, the threshold as a dashed line, rejects as red dots.
function drawChart(el) {
  const canvas = el.querySelector('.chart');
  const g = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  const now = Date.now();
  const pts = el.points.filter((p) => p[0] >= now - chartMs);
  g.clearRect(0, 0, w, h);
  const top = Math.max(1e-6, ...pts.map((p) => 1.5 * p[2]), ...pts.map((p) => (p[1] === null ? 0 : 1.1 * p[1])));
  const x = (t) => ((t - (now - chartMs)) / chartMs) * w;
  const y = (v) => h - 4 - (v / top) * (h - 8);
  g.strokeStyle = '#2a2f36';
  g.lineWidth = 1;
  for (let s = 0; s <= chartMs; s += 30_000) {
    g.beginPath();
    g.moveTo(x(now - s), 0);
    g.lineTo(x(now - s), h);
    g.stroke();
  }
  g.strokeStyle = '#e0b000';
  g.setLineDash([6, 4]);
  g.beginPath();
  pts.forEach((p, i) => (i === 0 ? g.moveTo(x(p[0]), y(p[2])) : g.lineTo(x(p[0]), y(p[2]))));
  g.stroke();
  g.setLineDash([]);
  g.strokeStyle = '#5fb3ff';
  g.beginPath();
  let pen = false;
  for (const p of pts) {
    if (p[1] === null) {
      pen = false;
      continue;
    }
    if (pen) g.lineTo(x(p[0]), y(p[1]));
    else g.moveTo(x(p[0]), y(p[1]));
    pen = true;
  }
  g.stroke();
  g.fillStyle = '#ff4d42';
  let rejects = 0;
  for (const p of pts) {
    if (!p[3]) continue;
    rejects++;
    g.beginPath();
    g.arc(x(p[0]), y(p[1] === null ? top : p[1]), 3, 0, 2 * Math.PI);
    g.fill();
  }
  canvas.dataset.points = String(pts.length);
  canvas.dataset.rejects = String(rejects);
  canvas.dataset.last = pts.length ? String(pts[pts.length - 1][0]) : '';
}

function showVerdict(v) {
  const el = card(v.camera, v.line);
  el.points.push([v.decidedAt, v.score, v.threshold, v.reject]);
  while (el.points.length && el.points[0][0] < Date.now() - 2 * chartMs) el.points.shift();
  el.querySelector('.product').textContent = v.product;
  el.querySelector('.score').textContent = fmt(v.score);
  el.querySelector('.threshold').textContent = fmt(v.threshold);
  // One scale across products for people: 1.00 is the threshold (verdict field normalizedScore).
  el.querySelector('.normalized').textContent = fmt(v.normalizedScore, 2);
  const d = el.querySelector('.decision');
  d.textContent = v.reject ? `REJECT (${v.reason})` : 'ok';
  d.className = `decision ${v.reject ? 'reject' : 'ok'}`;
  if (v.reject) addRejectRow(v);
}

function addRejectRow(v) {
  const tbody = document.querySelector('#rejects tbody');
  const tr = document.createElement('tr');
  const cells = [new Date(v.decidedAt).toLocaleTimeString(), `${v.line}/${v.camera}`, v.product, v.seq, fmt(v.score), fmt(v.threshold), fmt(v.normalizedScore, 2), v.reason];
  for (const text of cells) {
    const td = document.createElement('td');
    td.textContent = String(text);
    tr.append(td);
  }
  tbody.prepend(tr);
  while (tbody.rows.length > maxRejectRows) tbody.deleteRow(-1);
}

function showPicture(camera, line, selector, png) {
  const img = card(camera, line).querySelector(selector);
  const old = img.src;
  img.src = URL.createObjectURL(new Blob([png], { type: 'image/png' }));
  img.hidden = false;
  if (old) URL.revokeObjectURL(old);
}

function showStatus(s, linesOf) {
  const badge = document.getElementById('status');
  badge.textContent = s.state;
  badge.className = `badge ${['online', 'degraded'].includes(s.state) ? s.state : 'offline'}`;
  if (s.model) document.getElementById('model').textContent = `model ${s.model}`;
  const st = s.stats;
  if (!st) return;
  document.getElementById('queue').textContent = `queue ${st.queued} / ${st.queueBound}`;
  for (const [camera, c] of Object.entries(st.cameras ?? {})) {
    const el = card(camera, linesOf[camera] ?? c.line ?? '?');
    el.querySelector('.fps').textContent = fmt(c.fps, 1);
    el.querySelector('.reject-rate').textContent = fmt(c.rejectsPerMin, 1);
    el.querySelector('.latency').textContent = c.latencyP50Ms === null ? '—' : `${c.latencyP50Ms} / ${c.latencyP95Ms} ms`;
    el.querySelector('.total').textContent = String(c.frames);
    el.querySelector('.rejects').textContent = String(c.rejects);
    el.querySelector('.failsafe').textContent = `${c.deadline} / ${c.error}`;
  }
}

// A broker bound to all interfaces is reached at the host this page came from, never at 0.0.0.0.
function brokerUrl(settings) {
  const u = new URL(settings.mqttWsUrl);
  if (settings.wildcardHost) u.hostname = location.hostname;
  return u.toString();
}

async function start() {
  const settings = await (await fetch('settings.json')).json();
  chartMs = settings.chartSeconds * 1000;
  document.getElementById('node').textContent = `node ${settings.node}`;
  const linesOf = {};
  for (const [key, points] of Object.entries(await (await fetch('history.json')).json())) {
    const [line, camera] = key.split('/');
    linesOf[camera] = line;
    card(camera, line).points.push(...points);
  }
  const options = { protocolVersion: 4, reconnectPeriod: 1000 };
  if (settings.username) Object.assign(options, { username: settings.username, password: settings.password });
  const client = mqtt.connect(brokerUrl(settings), options);
  const depth = settings.prefix.split('/').length;
  // The topic filters come from the server (src/sinks/topics.ts builds every topic); the page only reads levels.
  const { verdict, heatmap, feed, status } = settings.topics;
  client.on('connect', () => client.subscribe([verdict, heatmap, feed, status]));
  client.on('close', () => showStatus({ state: 'broker unreachable' }, linesOf));
  client.on('message', (topic, payload) => {
    if (topic === status) return showStatus(JSON.parse(new TextDecoder().decode(payload)), linesOf);
    const levels = topic.split('/').slice(depth);
    const [line, camera, kind] = levels;
    linesOf[camera] = line;
    if (kind === 'verdict') showVerdict(JSON.parse(new TextDecoder().decode(payload)));
    else if (kind === 'heatmap') showPicture(camera, line, '.heatmap', payload);
    else if (kind === 'feed') showPicture(camera, line, '.feed', payload);
  });
  // The chart scrolls with time even when a camera is quiet.
  setInterval(() => cards.forEach(drawChart), 500);
}

start();
