/**
 * Prometheus metrics of the service (prom-client): what the cameras delivered, what was decided and published, how
 * long inference and the whole path from capture to publish took, and the MQTT offline queue. Served on
 * `GET /metrics`; the Grafana dashboard in deploy/grafana/ reads these names.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { failSafePartReasons, type PartVerdict, type Verdict } from '../types.js';

/** Read when Prometheus scrapes, so the figures are never stale copies. */
export interface ScrapedState {
  /** Verdict/reject messages stored and not yet acknowledged by the broker, and the store's bound. */
  readonly queued: number;
  readonly queueBound: number;
  /** Messages dropped because the offline queue was full, since the start (a disk queue: since its file was made). */
  readonly queueDropped: number;
  readonly brokerConnected: boolean;
  /** Inference workers started to replace one that died or hung. */
  readonly inferenceRestarts: number;
  /** Frames per camera whose model output was not a finite number, since the start. */
  readonly nonFinite?: Readonly<Record<string, number>>;
}

export interface MetricsOptions {
  readonly model: string;
  readonly provider: string;
  /** `parts`: the camera forms parts (config `parts`); its part series exist from the start. */
  readonly cameras: readonly { readonly id: string; readonly line: string; readonly parts?: unknown }[];
  readonly scrape: () => ScrapedState;
  /** Why evidence may not be archived: each reason's series exists from the start. */
  readonly evidenceDropReasons?: readonly string[];
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
  private readonly up: Gauge<'camera' | 'line'>;
  private readonly inferenceSeconds: Histogram;
  private readonly batchSize: Histogram;
  private readonly latency: Histogram<'camera' | 'line'>;
  private lines: ReadonlyMap<string, string> = new Map();
  private readonly evidence: Counter<'reason'>;
  private readonly parts: Counter<'camera' | 'line' | 'decision' | 'reason'>;
  private readonly partsFailSafe: Counter<'camera' | 'line' | 'reason'>;
  private readonly partsLate: Counter<'camera' | 'line'>;
  private readonly partSeconds: Histogram<'camera' | 'line'>;
  private readonly partEvents: Counter<'camera' | 'line' | 'event'>;

  constructor(opts: MetricsOptions) {
    const registers = [this.registry];
    const labelNames = ['camera', 'line'] as const;
    this.frames = new Counter({ name: 'uniad_frames_total', help: 'Frames received from the camera capture', labelNames, registers });
    this.verdicts = new Counter({ name: 'uniad_verdicts_total', help: 'Verdicts published, by reason (ok, anomaly, deadline, error)', labelNames: [...labelNames, 'reason'], registers });
    this.rejects = new Counter({ name: 'uniad_rejects_total', help: 'Verdicts that reject the part (anomaly, or a fail-safe deadline/error verdict)', labelNames, registers });
    this.restarts = new Counter({ name: 'uniad_camera_restarts_total', help: 'Capture process restarts (errors, exits, frame timeouts)', labelNames, registers });
    this.lost = new Counter({ name: 'uniad_frames_lost_total', help: 'Frames the camera\'s decoder lost (a damaged file or stream: parts never inspected); shed frames are deadline verdicts instead', labelNames, registers });
    this.lastFrame = new Gauge({ name: 'uniad_camera_last_frame_timestamp_seconds', help: 'When the camera last delivered a frame (Unix time)', labelNames, registers });
    this.up = new Gauge({ name: 'uniad_camera_up', help: '1 while the camera delivers frames, 0 while it is starting, down (capture failed, or no frame for its watchdog time) or ended', labelNames, registers });
    this.waiting = new Gauge({ name: 'uniad_frames_waiting', help: 'Frames waiting for the busy model (shed beyond the overload bound as deadline verdicts)', labelNames, registers });
    this.inferenceSeconds = new Histogram({ name: 'uniad_inference_seconds', help: 'Duration of one model run (one batch)', buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10], registers });
    this.batchSize = new Histogram({ name: 'uniad_batch_size', help: 'Model inputs in one model run: frames, or the tiles of frames with regions', buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers });
    this.latency = new Histogram({ name: 'uniad_capture_to_publish_seconds', help: 'From frame capture to the verdict handed to MQTT', labelNames, buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers });
    this.evidence = new Counter({ name: 'uniad_evidence_dropped_total', help: 'Rejects whose evidence was not archived, by reason (busy, no-space, read-only, …); the verdicts went out all the same', labelNames: ['reason'], registers });
    for (const reason of opts.evidenceDropReasons ?? []) this.evidence.inc({ reason }, 0);
    this.parts = new Counter({ name: 'uniad_parts_total', help: 'Part decisions published, by decision (reject, pass) and reason (anomaly, ok, no-frame, deadline, error)', labelNames: [...labelNames, 'decision', 'reason'], registers });
    this.partsFailSafe = new Counter({ name: 'uniad_part_fail_safe_total', help: 'Parts decided by the fail-safe: no frame, or a frame never scored (deadline, error)', labelNames: [...labelNames, 'reason'], registers });
    this.partsLate = new Counter({ name: 'uniad_parts_late_total', help: "Part decisions made later than parts.decisionBudgetMs after the part's signal: the actuator rejected those parts fail-safe", labelNames, registers });
    this.partSeconds = new Histogram({ name: 'uniad_part_decision_seconds', help: "From the part's signal (or first frame) to its decision handed to MQTT", labelNames, buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers });
    this.partEvents = new Counter({ name: 'uniad_part_events_total', help: 'Part signals ignored as redelivered (duplicate), frames no part signal claimed (unclaimed), parts cut short by the next signal (short)', labelNames: [...labelNames, 'event'], registers });
    // a count since the start, read at scrape time from where the output is checked (pipeline/non-finite-watch.ts)
    const camerasNow = () => this.lines;
    new Counter({
      name: 'uniad_non_finite_outputs_total',
      help: 'Frames whose model output was not a finite number (each got a fail-safe "error" verdict)',
      labelNames,
      registers,
      collect() {
        const totals = opts.scrape().nonFinite ?? {};
        this.reset();
        for (const [camera, line] of camerasNow()) this.inc({ camera, line }, totals[camera] ?? 0);
      },
    });
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
    // Counts since the start are counters (rate() and increase() take them, and see a restart as a reset), read
    // at scrape time from the part that keeps them.
    const scrapedCount = (name: string, help: string, key: 'queueDropped' | 'inferenceRestarts') =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(opts.scrape()[key]);
        },
      });
    scraped('uniad_mqtt_queue_depth', 'Verdict/reject messages waiting for the broker', 'queued');
    scraped('uniad_mqtt_queue_bound', 'Most messages the offline queue holds before dropping the oldest', 'queueBound');
    scrapedCount('uniad_mqtt_queue_dropped_total', 'Messages dropped because the offline queue was full (since the queue file was made; in memory: since the start)', 'queueDropped');
    scraped('uniad_mqtt_connected', '1 while connected to the broker', 'brokerConnected', (c) => (c ? 1 : 0));
    scrapedCount('uniad_inference_restarts_total', 'Inference workers replaced since the start', 'inferenceRestarts');

    this.setCameras(opts.cameras);
    collectDefaultMetrics({ register: this.registry });
  }

  /** The cameras now (a reload added or removed some): a new one's series start at 0, a removed one's go. */
  setCameras(cameras: MetricsOptions['cameras']): void {
    const reasons = ['ok', 'anomaly', 'deadline', 'error'];
    for (const [camera, line] of this.lines) {
      if (cameras.some((c) => c.id === camera && c.line === line)) continue;
      for (const metric of [this.frames, this.rejects, this.restarts, this.lost, this.lastFrame, this.waiting, this.up, this.latency]) metric.remove({ camera, line });
      for (const reason of reasons) this.verdicts.remove({ camera, line, reason });
    }
    for (const { id, line } of cameras) {
      if (this.lines.get(id) === line) continue;
      // Every series exists from the start at 0, so rate() and absent-alerts work before the first reject.
      this.frames.inc({ camera: id, line }, 0);
      this.rejects.inc({ camera: id, line }, 0);
      this.restarts.inc({ camera: id, line }, 0);
      this.lost.inc({ camera: id, line }, 0);
      this.up.set({ camera: id, line }, 0);
      for (const reason of reasons) this.verdicts.inc({ camera: id, line, reason }, 0);
    }
    const partReasons = ['ok', 'anomaly', 'no-frame', 'deadline', 'error'] as const;
    for (const { id, line } of cameras.filter((c) => c.parts !== undefined && this.lines.get(c.id) !== c.line)) {
      for (const reason of partReasons) this.parts.inc({ camera: id, line, decision: reason === 'ok' ? 'pass' : 'reject', reason }, 0);
      for (const reason of failSafePartReasons) this.partsFailSafe.inc({ camera: id, line, reason }, 0);
      this.partsLate.inc({ camera: id, line }, 0);
    }
    this.lines = new Map(cameras.map((c) => [c.id, c.line]));
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

  evidenceDropped(reason: string): void {
    this.evidence.inc({ reason });
  }

  cameraUp(camera: string, up: boolean): void {
    this.up.set(this.labels(camera), up ? 1 : 0);
  }

  /** A part decision handed to MQTT at `publishedAt`; `late` when it came after the camera's decision budget. */
  part(p: PartVerdict, publishedAt: number, late: boolean): void {
    const labels = this.labels(p.camera);
    this.parts.inc({ ...labels, decision: p.reject ? 'reject' : 'pass', reason: p.reason });
    if (failSafePartReasons.includes(p.reason)) this.partsFailSafe.inc({ ...labels, reason: p.reason });
    if (late) this.partsLate.inc(labels);
    this.partSeconds.observe(labels, Math.max(0, publishedAt - p.signalAt) / 1000);
  }

  /** Something of a camera's parts worth counting that is no decision (parts/former.ts). */
  partEvent(camera: string, event: 'duplicate' | 'unclaimed' | 'short'): void {
    this.partEvents.inc({ ...this.labels(camera), event });
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
