/**
 * Epoch milliseconds with sub-millisecond resolution, comparable across threads and processes of one machine
 * (`Date.now()` has whole milliseconds, too coarse for a latency budget of a few ms).
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
