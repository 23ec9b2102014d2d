// The dashboard page: settings, recent scores (/history.json) and the latest rejects (/last-rejects.json) from the
// service, then live over MQTT through the service's relay (same origin, the login's own session): verdicts for the
// chart, the feed topic for the live picture, heatmaps of rejects, part decisions with the heatmaps of their frames,
// the retained status for counts, rates and causes, the retained threshold echoes. Alarms (alarms.js), the chart
// (chart.js), times (clock.js) and the operator's controls (controls.js) are modules of their own. No build step, no
// CDN: mqtt.min.js is served by the service.
/* global mqtt */
import { alarms as currentAlarms } from './alarms.js';
import { drawChart } from './chart.js';
import { clock as makeClock, elapsed } from './clock.js';
import { operatorControls } from './controls.js';

const maxRejectRows = 20;
const maxPartRows = 20;
// Heatmaps by verdict id, the newest kept: a rejected part shows its frames' heatmaps, which may come before or after it.
const maxHeatmaps = 64;
const heatmaps = new Map();
let shownPart;
const cards = new Map();
const openedAt = Date.now();
let chartMs = 120_000;
let clock = makeClock(Intl.DateTimeFormat().resolvedOptions().timeZone);
let settings = { cameras: [], lines: [] };
let controls;
/** The service's clock minus this browser's: verdict times are the service's, and a browser's clock may be off. */
let skewMs = 0;
const serviceNow = () => Date.now() + skewMs;
/** The status's causes, each with the time this page first saw it when the cause does not say. */
let causes = [];
const causeSeen = new Map();

function camSettings(camera, line) {
  return settings.cameras.find((c) => c.camera === camera && c.line === line) ?? { camera, line, intervalMs: null, triggered: false };
}

function card(camera, line) {
  const key = `${line}/${camera}`;
  let el = cards.get(key);
  if (!el) {
    el = document.getElementById('camera-card').content.firstElementChild.cloneNode(true);
    el.dataset.camera = camera;
    el.dataset.key = key;
    el.querySelector('.name').textContent = key;
    el.points = [];
    el.arrivals = [];
    el.lastDecidedAt = null;
    el.meta = camSettings(camera, line);
    if (controls && el.meta.thresholdSetTopic) controls.thresholdForm(el.meta, el.querySelector('.controls'));
    document.getElementById('cameras').append(el);
    cards.set(key, el);
  }
  return el;
}

function fmt(x, digits = 4) {
  return x === null || x === undefined ? '—' : Number(x).toFixed(digits);
}

const rejectCaption = (v) => `REJECT ${v.reason} · ${clock.time(v.decidedAt)} · ${fmt(v.score)} / ${fmt(v.threshold)}`;

function showVerdict(v) {
  const el = card(v.camera, v.line);
  el.points.push([v.decidedAt, v.score, v.threshold, v.reject]);
  while (el.points.length && el.points[0][0] < v.decidedAt - 2 * chartMs) el.points.shift();
  skewMs = v.decidedAt - Date.now();
  el.arrivals.push(Date.now());
  if (el.arrivals.length > 11) el.arrivals.shift();
  el.lastDecidedAt = v.decidedAt;
  el.querySelector('.product').textContent = v.product;
  el.querySelector('.score').textContent = fmt(v.score);
  el.querySelector('.threshold').textContent = fmt(v.threshold);
  // One scale across products for people: 1.00 is the threshold (verdict field normalizedScore).
  el.querySelector('.normalized').textContent = fmt(v.normalizedScore, 2);
  const d = el.querySelector('.decision');
  d.textContent = v.reject ? `REJECT (${v.reason})` : 'ok';
  d.className = `decision ${v.reject ? 'reject' : 'ok'}`;
  if (v.reject) {
    addRejectRow(v);
    el.querySelector('.last-reject').textContent = rejectCaption(v);
  }
}

// A row of `cells` at the top of the table `selector`, which keeps its newest `max` rows; `more` adds to the row. A
// row the operator gave feedback on stays, with its answer, while newer rows push the others out.
function prependRow(selector, cells, max, className = '', more = undefined) {
  const tbody = document.querySelector(`${selector} tbody`);
  const tr = document.createElement('tr');
  tr.className = className;
  for (const text of cells) {
    const td = document.createElement('td');
    td.textContent = String(text);
    tr.append(td);
  }
  more?.(tr);
  tbody.prepend(tr);
  const unmarked = () => [...tbody.rows].filter((row) => !row.querySelector('button.false-reject[data-sent]'));
  while (tbody.rows.length > max && unmarked().length > 0) unmarked().at(-1).remove();
}

// While the pointer is on the rejects table, or a false reject in it waits for the operator's confirmation, newer
// rejects wait instead of pushing its rows down: at a few rejects a second a row moves under the pointer, and a click
// meant for one reject's button lands on another's.
let pointerOnRejects = false;
const heldRejects = [];
let heldCount = 0;

const rejectsHeld = () => pointerOnRejects || document.querySelector('#rejects tr[data-confirming]') !== null;

function holdRejectsUnderPointer() {
  const table = document.querySelector('#rejects');
  const release = () => {
    if (rejectsHeld()) return;
    heldCount = 0;
    for (const v of heldRejects.splice(0)) addRejectRow(v);
    showHeldRejects();
  };
  table.addEventListener('pointerenter', () => (pointerOnRejects = true));
  table.addEventListener('pointerleave', () => {
    pointerOnRejects = false;
    release();
  });
  // a confirmation answered or withdrawn (the buttons' own handlers ran first)
  table.addEventListener('click', release);
  table.addEventListener('confirm-ended', release);
}

function showHeldRejects() {
  // the line keeps its height when empty: appearing, it would move the table it is there to keep still
  document.querySelector('#rejects-held').textContent =
    heldCount === 0 ? '' : `${heldCount} newer ${heldCount === 1 ? 'reject waits' : 'rejects wait'}: the table holds still while you point at it or confirm a false reject`;
}

function addRejectRow(v) {
  if (rejectsHeld()) {
    heldCount += 1;
    heldRejects.push(v);
    if (heldRejects.length > maxRejectRows) heldRejects.shift();
    return showHeldRejects();
  }
  const cells = [clock.time(v.decidedAt), `${v.line}/${v.camera}`, v.product, v.seq, fmt(v.score), fmt(v.threshold), fmt(v.normalizedScore, 2), v.reason];
  prependRow('#rejects', cells, maxRejectRows, '', (tr) => {
    if (controls) {
      const td = document.createElement('td');
      const cam = settings.cameras.find((c) => c.camera === v.camera && c.line === v.line);
      // only the model's rejects: a fail-safe reject was never judged, there is nothing to correct
      if (cam?.feedbackTopic && v.reason === 'anomaly') controls.falseRejectButton(v, cam, td);
      tr.append(td);
    }
    tr.dataset.id = v.id;
  });
}

// The verdict id a heatmap carries in its PNG tEXt chunk "uniad-id" (src/images/png-text.ts), or undefined.
function heatmapId(png) {
  const bytes = new Uint8Array(png);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = (from, to) => String.fromCharCode(...bytes.subarray(from, to));
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = latin1(at + 4, at + 8);
    if (type === 'IEND' || at + 12 + length > bytes.length) return undefined;
    if (type === 'tEXt') {
      const data = bytes.subarray(at + 8, at + 8 + length);
      const nul = data.indexOf(0);
      if (latin1(at + 8, at + 8 + nul) === 'uniad-id') return latin1(at + 9 + nul, at + 8 + length);
    }
    at += 12 + length;
  }
  return undefined;
}

function keepHeatmap(png) {
  const id = heatmapId(png);
  if (id === undefined) return;
  heatmaps.set(id, URL.createObjectURL(new Blob([png], { type: 'image/png' })));
  while (heatmaps.size > maxHeatmaps) {
    const [oldest, url] = heatmaps.entries().next().value;
    if (!shownPart?.verdictIds.includes(oldest)) URL.revokeObjectURL(url);
    heatmaps.delete(oldest);
  }
  if (shownPart?.verdictIds.includes(id)) showPartFrames(shownPart);
}

// The part on its camera's card, in the parts table, and, when it rejects, as the last rejected part with its frames' heatmaps.
function showPart(p) {
  const el = card(p.camera, p.line);
  const d = el.querySelector('.part');
  d.textContent = `part ${p.partId}: ${p.reject ? 'REJECT' : 'pass'} (${p.reason})`;
  d.className = `part ${p.reject ? 'reject' : 'ok'}`;
  const cells = [clock.time(p.decidedAt), `${p.line}/${p.camera}`, p.partId, p.reject ? 'REJECT' : 'pass', p.reason, p.verdictIds.length, fmt(p.score), p.source];
  prependRow('#parts', cells, maxPartRows, p.reject ? 'reject' : 'ok');
  if (!p.reject) return;
  shownPart = p;
  const panel = document.getElementById('last-reject-part');
  panel.hidden = false;
  panel.querySelector('.id').textContent = p.id;
  panel.querySelector('.what').textContent = `${p.line}/${p.camera}, ${p.product}: ${p.reason}, score ${fmt(p.score)} / threshold ${fmt(p.threshold)}, ${p.verdictIds.length} frame(s)`;
  showPartFrames(p);
}

function showPartFrames(p) {
  const frames = document.querySelector('#last-reject-part .frames');
  frames.replaceChildren(
    ...p.verdictIds.map((id) => {
      const fig = document.createElement('figure');
      const url = heatmaps.get(id);
      if (url) {
        const img = document.createElement('img');
        img.className = 'part-heatmap';
        img.alt = `heatmap of frame ${id}`;
        img.src = url;
        fig.append(img);
      } else {
        const none = document.createElement('div');
        none.className = 'no-picture';
        none.textContent = 'no heatmap';
        fig.append(none);
      }
      const cap = document.createElement('figcaption');
      cap.textContent = id;
      fig.append(cap);
      return fig;
    }),
  );
  if (p.verdictIds.length === 0) frames.textContent = 'no frame: decided by the fail-safe';
}

function showPicture(camera, line, selector, png) {
  const img = card(camera, line).querySelector(selector);
  const old = img.src;
  img.src = URL.createObjectURL(new Blob([png], { type: 'image/png' }));
  img.hidden = false;
  if (old.startsWith('blob:')) URL.revokeObjectURL(old);
}

function showStatus(s) {
  const badge = document.getElementById('status');
  badge.textContent = s.state;
  badge.dataset.state = ['online', 'degraded'].includes(s.state) ? s.state : 'offline';
  causes = (s.causes ?? []).map((c) => {
    const key = `${c.code}|${c.camera ?? ''}|${c.message}`;
    if (!causeSeen.has(key)) causeSeen.set(key, serviceNow());
    return { ...c, since: c.since ?? causeSeen.get(key) };
  });
  if (s.model) document.getElementById('model').textContent = `model ${s.model}`;
  const st = s.stats;
  if (!st) return showAlarms();
  document.getElementById('queue').textContent = `queue ${st.queued} / ${st.queueBound}`;
  for (const [camera, c] of Object.entries(st.cameras ?? {})) {
    const el = card(camera, c.line ?? settings.cameras.find((x) => x.camera === camera)?.line ?? '?');
    if (c.lastAt !== null && c.lastAt !== undefined && (el.lastDecidedAt === null || c.lastAt > el.lastDecidedAt)) el.lastDecidedAt = c.lastAt;
    el.querySelector('.fps').textContent = fmt(c.fps, 1);
    el.querySelector('.reject-rate').textContent = fmt(c.rejectsPerMin, 1);
    el.querySelector('.latency').textContent = c.latencyP50Ms === null ? '—' : `${c.latencyP50Ms} / ${c.latencyP95Ms} ms`;
    el.querySelector('.total').textContent = String(c.frames);
    el.querySelector('.rejects').textContent = String(c.rejects);
    el.querySelector('.failsafe').textContent = `${c.deadline} / ${c.error}`;
  }
  showAlarms();
}

const alarmText = (a) => `${a.code}: ${a.message}${a.since === null ? '' : ` — since ${clock.time(a.since)} (${elapsed(serviceNow() - a.since)})`}`;

function listItems(ul, texts) {
  ul.replaceChildren(...texts.map((t) => Object.assign(document.createElement('li'), { textContent: t })));
  ul.hidden = texts.length === 0;
}

// A camera that is down is red on its card and in the header, with the cause and since when.
function showAlarms() {
  const cams = [...cards.values()].map((el) => ({ key: el.dataset.key, camera: el.dataset.camera, triggered: el.meta.triggered, intervalMs: el.meta.intervalMs, arrivals: el.arrivals, lastDecidedAt: el.lastDecidedAt }));
  const now = currentAlarms({ cameras: cams, causes, now: Date.now(), openedAt });
  const header = now.node.map(alarmText);
  for (const [key, list] of now.cameras) {
    const el = cards.get(key);
    const texts = list.map(alarmText);
    listItems(el.querySelector('.camera-alarms'), texts);
    el.classList.toggle('alarm', texts.length > 0);
    el.querySelector('.no-feed').textContent = texts.length > 0 ? 'NO FRAMES' : 'no feed yet';
    header.push(...texts.map((t) => `${key}: ${t}`));
  }
  const section = document.getElementById('alarms');
  listItems(section.querySelector('ul'), header);
  section.hidden = header.length === 0;
  const badge = document.getElementById('status');
  badge.className = `badge ${header.length > 0 ? 'alarm' : (badge.dataset.state ?? 'unknown')}`;
}

function showEcho(e) {
  const el = cards.get(`${e.line}/${e.camera}`);
  if (el) el.querySelector('.in-force').textContent = `threshold in force ${e.threshold} (${e.origin}${e.by ? `, set by ${e.by}` : ''})`;
}

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (res.status === 401) {
    location.assign('login');
    throw new Error('log in first');
  }
  return res.json();
}

function showUser() {
  document.getElementById('zone').textContent = `times: ${clock.zone()}, 24 h`;
  if (settings.user !== null) {
    document.getElementById('user').textContent = `${settings.user} (${settings.role})`;
    document.getElementById('logout').hidden = false;
  } else if (settings.canLogIn) {
    document.getElementById('user').textContent = 'read-only';
    document.getElementById('login').hidden = false;
  }
}

async function start() {
  settings = await getJson('settings.json');
  skewMs = settings.now - Date.now();
  chartMs = settings.chartSeconds * 1000;
  clock = makeClock(settings.timeZone);
  document.getElementById('node').textContent = `node ${settings.node}`;
  showUser();
  let client;
  if (settings.controls) {
    controls = operatorControls({
      clock,
      send(topic, text, { retain }) {
        if (!client?.connected) return false;
        client.publish(topic, text, { qos: 1, retain });
        return true;
      },
    });
    const section = document.getElementById('line-controls');
    for (const line of settings.lines) controls.recipeForm(line, settings.products, section);
    section.hidden = false;
    document.querySelector('#rejects thead tr').append(Object.assign(document.createElement('th'), { textContent: 'operator' }));
  }
  for (const c of settings.cameras) card(c.camera, c.line);
  for (const [key, points] of Object.entries(await getJson('history.json'))) {
    const [line, camera] = key.split('/');
    const el = card(camera, line);
    el.points.push(...points);
    if (points.length) el.lastDecidedAt = points[points.length - 1][0];
  }
  holdRejectsUnderPointer();
  const last = await getJson('last-rejects.json');
  for (const v of [...last.rejects].reverse()) addRejectRow(v);
  for (const { verdict, picture } of Object.values(last.cameras)) {
    const el = card(verdict.camera, verdict.line);
    el.querySelector('.last-reject').textContent = rejectCaption(verdict);
    if (picture !== null) Object.assign(el.querySelector('.heatmap'), { src: picture, hidden: false });
  }

  const depth = settings.prefix.split('/').length;
  // The topics come from the server (src/sinks/topics.ts builds every topic); the page only reads levels.
  const { verdict, heatmap, feed, status, part } = settings.topics;
  const echoes = new Set(settings.cameras.map((c) => c.thresholdTopic));
  // an operator's commands are answered on their result topics, which the server names for operators only
  const results = new Set([...settings.cameras.flatMap((c) => [c.thresholdResultTopic, c.feedbackResultTopic]), ...settings.lines.map((l) => l.recipeResultTopic)].filter(Boolean));
  // the relay on this page's own origin (same scheme, host and port), with this login's session
  client = mqtt.connect(new URL(settings.mqttPath, location.href).href.replace(/^http/, 'ws'), { protocolVersion: 4, reconnectPeriod: 2000 });
  client.on('connect', () => client.subscribe([verdict, heatmap, feed, status, part, ...echoes, ...results]));
  client.on('close', () => {
    showStatus({ state: 'broker unreachable' });
    // an ended login closes the relay: back to the login form
    fetch('settings.json', { cache: 'no-store' }).then((res) => res.status === 401 && location.assign('login'), () => undefined);
  });
  client.on('message', (topic, payload) => {
    const text = () => new TextDecoder().decode(payload);
    if (topic === status) return showStatus(JSON.parse(text()));
    if (echoes.has(topic)) return showEcho(JSON.parse(text()));
    if (results.has(topic)) return controls?.result(JSON.parse(text()));
    const [line, camera, kind] = topic.split('/').slice(depth);
    if (kind === 'verdict') showVerdict(JSON.parse(text()));
    else if (kind === 'part') showPart(JSON.parse(text()));
    else if (kind === 'heatmap') {
      showPicture(camera, line, '.heatmap', payload);
      keepHeatmap(payload);
    } else if (kind === 'feed') showPicture(camera, line, '.feed', payload);
  });
  // The chart scrolls with time even when a camera is quiet, and a silence becomes an alarm.
  setInterval(() => {
    const now = serviceNow();
    cards.forEach((el) => drawChart(el.querySelector('svg.chart'), el.points, { now, spanMs: chartMs, clock }));
    showAlarms();
  }, 500);
}

start();
