// What the page raises as an alarm, per camera and for the node. Pure.
//
// - Every active cause on the service's status is an alarm: on the card of the camera it names (a cause's `camera`
//   field), else in the header. Its `since` is the cause's own (`since`), else when this page first saw it.
// - A camera that delivers no verdict for twice its frame gap (its configured rate, else the gap the page has seen,
//   else 5 s), and never less than 2 s, is silent: an alarm too, whatever the status says. A triggered camera waits
//   for parts, so its silence is none.

export const minSilenceMs = 2000;
export const unknownGapMs = 5000;

/** The median gap between arrival times (ms, oldest first); null with fewer than three. */
export function medianGap(arrivals) {
  if (arrivals.length < 3) return null;
  const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)];
}

/** How long a camera may stay without a verdict before it is silent. */
export function silenceLimitMs(intervalMs, arrivals) {
  return Math.max(minSilenceMs, 2 * (intervalMs ?? medianGap(arrivals) ?? unknownGapMs));
}

/**
 * `cameras`: [{ key ("line/camera"), camera, triggered, intervalMs, arrivals (page clock, ms), lastDecidedAt (the
 * service's clock, ms, or null) }]; `causes`: the status's, each with `since` filled in; `now` and `openedAt`: page
 * clock. Returns { node: [alarm], cameras: Map(key → [alarm]) }, an alarm being { code, message, since (ms or null) }.
 */
export function alarms({ cameras, causes, now, openedAt }) {
  const node = [];
  const byCamera = new Map(cameras.map((c) => [c.key, []]));
  for (const cause of causes) {
    const cam = cause.camera === undefined ? undefined : cameras.find((c) => c.camera === cause.camera);
    const alarm = { code: cause.code, message: cause.message, since: cause.since ?? null };
    if (cam) byCamera.get(cam.key).push(alarm);
    else node.push(cause.camera === undefined ? alarm : { ...alarm, message: `camera ${cause.camera}: ${cause.message}` });
  }
  for (const c of cameras) {
    if (c.triggered) continue;
    const last = c.arrivals.length ? c.arrivals[c.arrivals.length - 1] : openedAt;
    const limit = silenceLimitMs(c.intervalMs, c.arrivals);
    if (now - last <= limit) continue;
    const seen = c.lastDecidedAt === null ? ', none since this page opened' : '';
    byCamera.get(c.key).push({ code: 'NO_FRAMES', message: `no frame for more than ${(limit / 1000).toFixed(1)} s${seen}`, since: c.lastDecidedAt });
  }
  return { node, cameras: byCamera };
}
