/**
 * Prometheus metrics of the service (prom-client): what the cameras delivered, what was decided and published, how
 * long inference and the whole path from capture to publish took, and the MQTT offline queue. Served on
 * `GET /metrics`; the Grafana dashboard in deploy/grafana/ reads these names.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Verdict } from '../types.js';

/** Read when Prometheus scrapes, so the figures are never stale copies. */
export interface ScrapedState {
  /** Verdict/reject messages stored and not yet acknowledged by the broker, and the store's bound. */
  readonly queued: number;
  readonly queueBound: number;
  /** Messages dropped because the offline queue was full, since the start. */
  readonly queueDropped: number;
  readonly brokerConnected: boolean;
  /** Inference workers started to replace one that died or hung. */
  readonly inferenceRestarts: number;
}

export interface MetricsOptions {
  readonly model: string;
  readonly provider: string;
  readonly cameras: readonly { readonly id: string; readonly line: string }[];
  readonly scrape: () => ScrapedState;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly frames: Counter<'camera' | 'line'>;
  private readonly verdicts: Counter<'camera' | 'line' | 'reason'>;
  private readonly rejects: Counter<'camera' | 'line'>;
  private readonly restarts: Counter<'camera' | 'line'>;
  private readonly lost: Counter<'camera' | 'line'>;
  private readonly lastFrame: Gauge<'camera' | 'line'>;
  private readonly waiting: Gauge<'camera' | 'line'>;
  private readonly inferenceSeconds: Histogram;
  private readonly batchSize: Histogram;
  private readonly latency: Histogram<'camera' | 'line'>;
  private readonly lines: ReadonlyMap<string, string>;

  constructor(opts: MetricsOptions) {
    const registers = [this.registry];
    this.lines = new Map(opts.cameras.map((c) => [c.id, c.line]));
    const labelNames = ['camera', 'line'] as const;
    this.frames = new Counter({ name: 'uniad_frames_total', help: 'Frames received from the camera capture', labelNames, registers });
    this.verdicts = new Counter({ name: 'uniad_verdicts_total', help: 'Verdicts published, by reason (ok, anomaly, deadline, error)', labelNames: [...labelNames, 'reason'], registers });
    this.rejects = new Counter({ name: 'uniad_rejects_total', help: 'Verdicts that reject the part (anomaly, or a fail-safe deadline/error verdict)', labelNames, registers });
    this.restarts = new Counter({ name: 'uniad_camera_restarts_total', help: 'Capture process restarts (errors, exits, frame timeouts)', labelNames, registers });
    this.lost = new Counter({ name: 'uniad_frames_lost_total', help: 'Frames the camera\'s decoder lost (a damaged file or stream: parts never inspected); shed frames are deadline verdicts instead', labelNames, registers });
    this.lastFrame = new Gauge({ name: 'uniad_camera_last_frame_timestamp_seconds', help: 'When the camera last delivered a frame (Unix time)', labelNames, registers });
    this.waiting = new Gauge({ name: 'uniad_frames_waiting', help: 'Frames waiting for the busy model (shed beyond the overload bound as deadline verdicts)', labelNames, registers });
    this.inferenceSeconds = new Histogram({ name: 'uniad_inference_seconds', help: 'Duration of one model run (one batch)', buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10], registers });
    this.batchSize = new Histogram({ name: 'uniad_batch_size', help: 'Frames in one model run', buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers });
    this.latency = new Histogram({ name: 'uniad_capture_to_publish_seconds', help: 'From frame capture to the verdict handed to MQTT', labelNames, buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers });
    new Gauge({ name: 'uniad_execution_provider_info', help: 'Execution provider the model runs on (value 1)', labelNames: ['provider', 'model'], registers }).set({ provider: opts.provider, model: opts.model }, 1);

    const scraped = <T extends keyof ScrapedState>(name: string, help: string, key: T, map: (v: ScrapedState[T]) => number = Number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(map(opts.scrape()[key]));
        },
      });
    scraped('uniad_mqtt_queue_depth', 'Verdict/reject messages waiting for the broker', 'queued');
    scraped('uniad_mqtt_queue_bound', 'Most messages the offline queue holds before dropping the oldest', 'queueBound');
    scraped('uniad_mqtt_queue_dropped', 'Messages dropped because the offline queue was full, since the start', 'queueDropped');
    scraped('uniad_mqtt_connected', '1 while connected to the broker', 'brokerConnected', (c) => (c ? 1 : 0));
    scraped('uniad_inference_restarts', 'Inference workers replaced since the start', 'inferenceRestarts');

    for (const { id, line } of opts.cameras) {
      // Every series exists from the start at 0, so rate() and absent-alerts work before the first reject.
      this.frames.inc({ camera: id, line }, 0);
      this.rejects.inc({ camera: id, line }, 0);
      this.restarts.inc({ camera: id, line }, 0);
      this.lost.inc({ camera: id, line }, 0);
      for (const reason of ['ok', 'anomaly', 'deadline', 'error']) this.verdicts.inc({ camera: id, line, reason }, 0);
    }
    collectDefaultMetrics({ register: this.registry });
  }

  private labels(camera: string) {
    return { camera, line: this.lines.get(camera) ?? '' };
  }

  frame(camera: string, at: number): void {
    this.frames.inc(this.labels(camera));
    this.lastFrame.set(this.labels(camera), at / 1000);
  }

  /** A verdict handed to the MQTT sink at `publishedAt` (epoch ms). */
  verdict(v: Verdict, publishedAt: number): void {
    const labels = this.labels(v.camera);
    this.verdicts.inc({ ...labels, reason: v.reason });
    if (v.reject) this.rejects.inc(labels);
    this.latency.observe(labels, Math.max(0, publishedAt - v.capturedAt) / 1000);
  }

  cameraRestart(camera: string): void {
    this.restarts.inc(this.labels(camera));
  }

  framesLost(camera: string, count: number): void {
    this.lost.inc(this.labels(camera), count);
  }

  /** Frames waiting per camera (cameras absent have none). */
  backlog(waiting: ReadonlyMap<string, number>): void {
    for (const camera of this.lines.keys()) this.waiting.set(this.labels(camera), waiting.get(camera) ?? 0);
  }

  inference(frames: number, seconds: number): void {
    this.batchSize.observe(frames);
    this.inferenceSeconds.observe(seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
