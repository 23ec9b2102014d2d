// The fleet page: every node, line and camera of the plant from /fleet.json, which the service builds from the
// retained statuses on the backbone (src/fleet/fleet-view.ts); refreshed every 2 s. Plain HTTP, so it works on a
// backbone without MQTT over WebSocket (nats-server).
const states = ['online', 'degraded', 'offline', 'stale'];

function cell(tr, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  tr.append(td);
  return td;
}

const num = (x, digits) => (x === null ? '–' : Number(x).toFixed(digits));

function render(rows) {
  const tbody = document.querySelector('#fleet tbody');
  tbody.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    tr.dataset.node = r.node;
    tr.dataset.camera = r.camera;
    tr.dataset.state = r.state;
    cell(tr, r.node);
    cell(tr, r.state, `badge ${states.includes(r.state) ? r.state : 'unknown'}`);
    cell(tr, r.line);
    cell(tr, r.camera);
    cell(tr, num(r.fps, 1));
    cell(tr, num(r.rejectsPerMin, 1));
    cell(tr, r.rejectRate === null ? '–' : `${(100 * r.rejectRate).toFixed(1)} %`);
    cell(tr, r.queued === null ? '–' : String(r.queued));
    cell(tr, r.model);
    cell(tr, r.detail);
    const page = cell(tr, '');
    if (r.dashboardUrl) {
      const a = document.createElement('a');
      a.href = r.dashboardUrl;
      a.textContent = 'open';
      page.append(a);
    }
    tbody.append(tr);
  }
  const nodes = [...new Set(rows.map((r) => r.node))];
  const count = (s) => new Set(rows.filter((r) => r.state === s).map((r) => r.node)).size;
  document.getElementById('summary').textContent = `${nodes.length} node(s): ${states.map((s) => `${count(s)} ${s}`).join(', ')}`;
  const causes = document.getElementById('causes');
  causes.replaceChildren();
  for (const node of nodes) {
    for (const c of rows.find((r) => r.node === node).causes) {
      const li = document.createElement('li');
      li.textContent = `${node}: ${c}`;
      causes.append(li);
    }
  }
  document.getElementById('as-of').textContent = `as of ${new Date().toLocaleTimeString()}`;
}

async function refresh() {
  try {
    render(await (await fetch('fleet.json', { cache: 'no-store' })).json());
  } catch (err) {
    document.getElementById('summary').textContent = `fleet unavailable: ${err.message}`;
  }
}

refresh();
setInterval(refresh, 2000);
