/**
 * Publishes the live images of each decision over the link (mqtt-link.ts), QoS 0 and only while connected: a stale
 * image is worth nothing, so none is queued. Coloured and encoded in a worker thread (images/renderer.ts), so an image
 * follows its verdict instead of holding it back; when the worker already has as many jobs as it takes, the image is
 * skipped and counted.
 *
 * - `heatmap` (PNG) for rejects (or every decision with `heatmaps.includeOk`), at most one per camera per
 *   `heatmaps.minIntervalMs`; missed ones are counted. A preview: at most `heatmaps.maxSide` pixels a side (the
 *   archive keeps full resolution). Of a frame with regions, the region that decided the verdict. The verdict id travels INSIDE the PNG as a `tEXt` chunk with
 *   keyword `uniad-id` on every protocol version (read it with `readPngText` from images/png-text.ts; image viewers
 *   ignore it), and on MQTT 5 also as the user property `id`. Chosen over a byte header so the payload stays a PNG
 *   any tool opens.
 * - `feed` (PNG): a downscaled frame with its heatmap and the verdict JSON inside, at most `feed.maxFps` a camera: the
 *   live picture for dashboards (images/feed.ts).
 */
import type { RenderJob } from '../images/render-worker.js';
import { Renderer } from '../images/renderer.js';
import type { Decision, Logger } from '../types.js';
import type { MqttLink } from './mqtt-link.js';
import { verdictPayload } from './payload.js';
import { RateLimit } from './rate-limit.js';
import { feedTopic, heatmapTopic } from './topics.js';

/** What the image publisher takes of the `mqtt` config section. */
export interface ImageSettings {
  readonly heatmaps: { readonly enabled: boolean; readonly minIntervalMs: number; readonly includeOk: boolean; readonly maxSide?: number };
  /** The live feed for dashboards (images/feed.ts); absent: none. */
  readonly feed?: { readonly enabled: boolean; readonly maxFps: number; readonly width: number };
}

export interface ImageStats {
  readonly heatmaps: number;
  /** Heatmaps not sent because the camera had one within `minIntervalMs`. */
  readonly heatmapsRateLimited: number;
  /** Heatmaps not sent because the broker was unreachable. */
  readonly heatmapsOffline: number;
  /** Live feed images sent (images/feed.ts). */
  readonly feed: number;
  /** Heatmaps and feed images not made because the image worker already had as many waiting as it takes. */
  readonly imagesBusy: number;
}

/** Largest side of a heatmap preview when the settings do not say (config `mqtt.heatmaps.maxSide`'s default). */
const defaultPreviewSide = 640;

/** The picture a decision's map lies over: the frame, or the region that decided (its map is the inference's). */
function pictureOf({ frame, inference }: Decision): { width: number; height: number; pixels: Uint8Array } {
  const region = inference?.region === undefined ? undefined : frame.regions?.[inference.region];
  return region === undefined ? frame : { width: region.layout.width, height: region.layout.height, pixels: region.pixels };
}

export class ImagePublisher {
  private readonly counts = { heatmaps: 0, heatmapsRateLimited: 0, heatmapsOffline: 0, feed: 0, imagesBusy: 0 };
  private readonly images: Renderer;
  private readonly heatmapRate: RateLimit;
  private readonly feedRate: RateLimit;

  constructor(
    private readonly link: MqttLink,
    private readonly settings: ImageSettings,
    private readonly logger: Logger,
    /** Monotonic ms, for the rate limits. */
    now: () => number = () => performance.now(),
  ) {
    this.heatmapRate = new RateLimit(settings.heatmaps.minIntervalMs, now);
    this.feedRate = new RateLimit(1000 / (settings.feed?.maxFps ?? 1), now);
    this.images = new Renderer(logger);
  }

  /** Hands the heatmap and feed image of `decision`, if due, to the image worker. Never blocks. */
  publish(decision: Decision): void {
    this.publishHeatmap(decision);
    this.publishFeed(decision);
  }

  stats(): ImageStats {
    return { ...this.counts };
  }

  /** Waits up to `timeoutMs` for the images already taken, then ends the worker. */
  close(timeoutMs: number): Promise<void> {
    return this.images.close(timeoutMs);
  }

  /** Live picture for dashboards: QoS 0, only while connected, at most `feed.maxFps` a camera. */
  private publishFeed(decision: Decision): void {
    const { verdict: v, inference } = decision;
    const { feed } = this.settings;
    if (!feed?.enabled || !this.link.connected || !this.feedRate.take(v.camera)) return;
    const frame = pictureOf(decision);
    const pixels = frame.pixels.slice();
    const map = inference?.anomalyMap.slice();
    const input = { verdict: { id: v.id, threshold: v.threshold }, verdictJson: verdictPayload(v), frame: { width: frame.width, height: frame.height, pixels }, ...(inference && map ? { inference: { anomalyMap: map, mapWidth: inference.mapWidth, mapHeight: inference.mapHeight } } : {}) };
    this.sendImage(feedTopic(this.link.prefix, v.line, v.camera), { kind: 'feed', input, width: feed.width }, map ? [pixels.buffer, map.buffer] : [pixels.buffer], undefined, () => this.counts.feed++);
  }

  private publishHeatmap(decision: Decision): void {
    const { verdict: v, inference } = decision;
    const hm = this.settings.heatmaps;
    if (!hm.enabled || inference === undefined || (!v.reject && !hm.includeOk)) return;
    if (!this.link.connected) {
      this.counts.heatmapsOffline++;
      return;
    }
    if (!this.heatmapRate.take(v.camera)) {
      this.counts.heatmapsRateLimited++;
      return;
    }
    const frame = pictureOf(decision);
    const pixels = frame.pixels.slice();
    const map = inference.anomalyMap.slice();
    const input = { map, mapWidth: inference.mapWidth, mapHeight: inference.mapHeight, threshold: v.threshold, frame: { width: frame.width, height: frame.height, pixels } };
    const properties = this.link.protocolVersion === 5 ? { userProperties: { id: v.id } } : undefined;
    const job = { kind: 'heatmap' as const, id: v.id, input, maxSide: hm.maxSide ?? defaultPreviewSide };
    this.sendImage(heatmapTopic(this.link.prefix, v.line, v.camera), job, [pixels.buffer, map.buffer], properties, () => this.counts.heatmaps++, () => this.counts.heatmapsOffline++);
  }

  /** Renders an image in the worker and publishes it (QoS 0) if the broker is still connected when it is ready. */
  private sendImage(topic: string, job: RenderJob, transfer: ArrayBuffer[], properties: { userProperties: { id: string } } | undefined, sent: () => void, offline?: () => void): void {
    const png = this.images.render(job, transfer);
    if (png === undefined) {
      this.counts.imagesBusy++;
      return;
    }
    png.then(
      (bytes) => {
        if (!this.link.connected) return offline?.();
        this.link.publish(topic, bytes, { qos: 0, properties });
        sent();
      },
      (err: Error) => this.logger.warn('mqtt: image not rendered', { topic, error: err.message }),
    );
  }
}
