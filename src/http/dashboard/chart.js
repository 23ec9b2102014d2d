// The score chart of a camera, as SVG: the score line, the threshold (dashed, labelled with its value), rejects as
// red dots, a y axis on the score's own scale and an x axis of clock times (clock.js). Tick arithmetic is pure and
// exported for the tests.

const svgNs = 'http://www.w3.org/2000/svg';
const size = { width: 520, height: 170, left: 46, right: 10, top: 10, bottom: 20 };

/** 1, 2, 2.5 or 5 times a power of ten: the step of about `count` ticks from 0 to `max`. */
export function niceStep(max, count = 4) {
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough);
  return step ?? 10 * power;
}

/** Values of the y axis: 0 up to the first step at or above `max` (max > 0). */
export function valueTicks(max, count = 4) {
  const step = niceStep(max, count);
  const n = Math.max(1, Math.ceil(max / step - 1e-9));
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/** A tick value as the axis writes it: no trailing zeros, no float noise ("0.25", "1.5", "40"). */
export const tickLabel = (v) => String(Number(v.toPrecision(6)));

const timeSteps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000);

/** Times of the x axis between `from` and `to` (epoch ms), on whole steps of the clock, about `count` of them. */
export function timeTicks(from, to, count = 5) {
  const step = timeSteps.find((s) => (to - from) / s <= count) ?? timeSteps[timeSteps.length - 1];
  const ticks = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  return ticks;
}

function el(name, attrs, text) {
  const e = document.createElementNS(svgNs, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Redraws `svg` with `points` ([t, score|null, threshold, reject]) of the `spanMs` up to `now`, times by `clock`. */
export function drawChart(svg, points, { now, spanMs, clock }) {
  const { width: w, height: h, left, right, top, bottom } = size;
  const pts = points.filter((p) => p[0] >= now - spanMs && p[0] <= now);
  const highest = Math.max(...pts.map((p) => 1.25 * p[2]), ...pts.map((p) => (p[1] === null ? 0 : 1.05 * p[1])));
  const yTicks = valueTicks(highest > 0 ? highest : 1);
  const yMax = yTicks[yTicks.length - 1];
  const x = (t) => left + ((t - (now - spanMs)) / spanMs) * (w - left - right);
  const y = (v) => h - bottom - (Math.min(v, yMax) / yMax) * (h - top - bottom);
  const parts = [];

  const yAxis = el('g', { class: 'y-axis' });
  for (const v of yTicks) {
    yAxis.append(el('line', { x1: left, x2: w - right, y1: y(v), y2: y(v), class: 'grid' }));
    yAxis.append(el('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, tickLabel(v)));
  }
  yAxis.append(el('text', { x: 4, y: top + 2, class: 'axis-name', 'dominant-baseline': 'hanging' }, 'score'));
  parts.push(yAxis);

  const xAxis = el('g', { class: 'x-axis' });
  xAxis.append(el('line', { x1: left, x2: w - right, y1: h - bottom, y2: h - bottom, class: 'axis' }));
  for (const t of timeTicks(now - spanMs, now)) {
    xAxis.append(el('line', { x1: x(t), x2: x(t), y1: h - bottom, y2: h - bottom + 4, class: 'axis' }));
    xAxis.append(el('text', { x: x(t), y: h - 4, 'text-anchor': 'middle', class: 'tick', 'data-t': t }, clock.time(t)));
  }
  parts.push(xAxis);

  if (pts.length > 0) {
    const thresholdPath = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[2]).toFixed(1)}`).join('');
    parts.push(el('path', { d: thresholdPath, class: 'threshold-line' }));
    const last = pts[pts.length - 1];
    parts.push(el('text', { x: w - right - 2, y: y(last[2]) - 4, 'text-anchor': 'end', class: 'threshold-label' }, `threshold ${tickLabel(last[2])}`));
    let d = '';
    let pen = false;
    for (const p of pts) {
      if (p[1] === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`;
      pen = true;
    }
    parts.push(el('path', { d, class: 'score-line' }));
  }
  const rejects = el('g', { class: 'reject-dots' });
  for (const p of pts) if (p[3]) rejects.append(el('circle', { cx: x(p[0]).toFixed(1), cy: y(p[1] === null ? yMax : p[1]).toFixed(1), r: 3 }));
  parts.push(rejects);

  svg.replaceChildren(...parts);
  svg.dataset.points = String(pts.length);
  svg.dataset.rejects = String(rejects.childElementCount);
  svg.dataset.last = pts.length ? String(pts[pts.length - 1][0]) : '';
  svg.dataset.yMax = String(yMax);
}
