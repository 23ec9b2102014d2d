/**
 * Lowers the CPU priority of the calling worker thread, for work that may wait (evidence files, heatmaps, feed images).
 *
 * On Linux a nice value belongs to a thread, not to the process, so `setpriority(PRIO_PROCESS, 0, …)` from a worker
 * thread lowers that thread alone: the main thread (capture, decisions, MQTT) and the inference worker keep theirs,
 * and win the cores whenever a burst of rejects has images to encode. Elsewhere the same call would lower the whole
 * process, so it is not made.
 */
import { setPriority } from 'node:os';

/** Nice value of background threads: they run whenever a core is free, and yield to everything else. */
export const backgroundNice = 10;

export function lowerThreadPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(backgroundNice);
  } catch {
    // a sandbox that forbids it leaves the thread as it was: slower to yield, nothing worse
  }
}
