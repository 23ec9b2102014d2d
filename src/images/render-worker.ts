/**
 * Worker-thread entry that renders the live images the MQTT sink publishes (renderer.ts, sinks/image-publisher.ts):
 * heatmaps and feed images.
 * A heatmap of a 640×480 frame takes tens of milliseconds to colour and encode; on the main thread that time would
 * hold back the verdicts behind it (docs/performance.md §3). The thread runs at a lower priority
 * (platform/background-thread.ts): an image may wait, a verdict may not.
 */
import { parentPort } from 'node:worker_threads';
import { lowerThreadPriority } from '../platform/background-thread.js';
import { feedImage, fitSide, type FeedInput } from './feed.js';
import { renderHeatmap, type HeatmapInput } from './heatmap.js';
import { withPngText } from './png-text.js';

export type RenderJob =
  /**
   * A heatmap blended over its frame, carrying the verdict id in a `tEXt` chunk (sinks/image-publisher.ts), the frame
   * first downscaled to at most `maxSide` a side when given (a preview of a megapixel region).
   */
  | { readonly kind: 'heatmap'; readonly id: string; readonly input: HeatmapInput; readonly maxSide?: number }
  | { readonly kind: 'feed'; readonly input: FeedInput; readonly width: number };

export type RenderRequest = RenderJob & { readonly seq: number };

export type RenderReply = { readonly seq: number; readonly png: Uint8Array } | { readonly seq: number; readonly error: string };

/** The PNG bytes of a job. Pure; exported for the tests. */
export function render(job: RenderJob): Buffer {
  if (job.kind === 'feed') return feedImage(job.input, job.width);
  const { frame } = job.input;
  const input = frame === undefined || job.maxSide === undefined ? job.input : { ...job.input, frame: fitSide(frame, job.maxSide) };
  return withPngText(renderHeatmap(input), 'uniad-id', job.id);
}

const port = parentPort;
if (port) lowerThreadPriority();
port?.on('message', (req: RenderRequest) => {
  try {
    // copied, not transferred: a small PNG may sit in Buffer's shared pool, which must not be detached
    port.postMessage({ seq: req.seq, png: render(req) } satisfies RenderReply);
  } catch (err) {
    port.postMessage({ seq: req.seq, error: (err as Error).message } satisfies RenderReply);
  }
});
