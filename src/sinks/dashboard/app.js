// The dashboard page: subscribes to the MQTT contract's topics over WebSocket and renders them. No build step.
/* global mqtt */
const maxRejectRows = 20;

const cards = new Map();

function card(camera, line) {
  const key = `${line}/${camera}`;
  let el = cards.get(key);
  if (!el) {
    el = document.getElementById('camera-card').content.firstElementChild.cloneNode(true);
    el.dataset.camera = camera;
    el.querySelector('.name').textContent = key;
    el.counts = { total: 0, rejects: 0, deadline: 0, error: 0 };
    document.getElementById('cameras').append(el);
    cards.set(key, el);
  }
  return el;
}

function showVerdict(v) {
  const el = card(v.camera, v.line);
  const c = el.counts;
  c.total++;
  if (v.reject) c.rejects++;
  if (v.reason === 'deadline' || v.reason === 'error') c[v.reason]++;
  el.querySelector('.product').textContent = v.product;
  el.querySelector('.score').textContent = v.score === null ? '—' : v.score.toFixed(4);
  el.querySelector('.threshold').textContent = v.threshold.toFixed(4);
  el.querySelector('.total').textContent = c.total;
  el.querySelector('.rejects').textContent = c.rejects;
  el.querySelector('.failsafe').textContent = `${c.deadline} / ${c.error}`;
  const d = el.querySelector('.decision');
  d.textContent = v.reject ? `REJECT (${v.reason})` : 'ok';
  d.className = `decision ${v.reject ? 'reject' : 'ok'}`;
  if (v.reject) addRejectRow(v);
}

function addRejectRow(v) {
  const tbody = document.querySelector('#rejects tbody');
  const tr = document.createElement('tr');
  const cells = [new Date(v.decidedAt).toLocaleTimeString(), `${v.line}/${v.camera}`, v.product, v.seq, v.score === null ? '—' : v.score.toFixed(4), v.threshold.toFixed(4), v.reason];
  for (const text of cells) {
    const td = document.createElement('td');
    td.textContent = String(text);
    tr.append(td);
  }
  tbody.prepend(tr);
  while (tbody.rows.length > maxRejectRows) tbody.deleteRow(-1);
}

function showHeatmap(camera, line, png) {
  const img = card(camera, line).querySelector('.heatmap');
  const old = img.src;
  img.src = URL.createObjectURL(new Blob([png], { type: 'image/png' }));
  img.hidden = false;
  if (old) URL.revokeObjectURL(old);
}

function showStatus(s) {
  const badge = document.getElementById('status');
  badge.textContent = s.state;
  badge.className = `badge ${s.state === 'online' ? 'online' : 'offline'}`;
  if (s.model) document.getElementById('model').textContent = `model ${s.model}`;
}

async function start() {
  const settings = await (await fetch('settings.json')).json();
  document.getElementById('node').textContent = `node ${settings.node}`;
  const client = mqtt.connect(settings.mqttWsUrl, { protocolVersion: 4, reconnectPeriod: 1000, username: settings.username, password: settings.password });
  const depth = settings.prefix.split('/').length;
  // The topic filters come from the server (src/sinks/topics.ts builds every topic); the page only reads levels.
  client.on('connect', () => client.subscribe([settings.topics.verdict, settings.topics.heatmap, settings.topics.status]));
  client.on('close', () => showStatus({ state: 'broker unreachable' }));
  client.on('message', (topic, payload) => {
    if (topic === settings.topics.status) return showStatus(JSON.parse(new TextDecoder().decode(payload)));
    const [line, camera, kind] = topic.split('/').slice(depth);
    if (kind === 'verdict') showVerdict(JSON.parse(new TextDecoder().decode(payload)));
    else if (kind === 'heatmap') showHeatmap(camera, line, payload);
  });
}

start();
