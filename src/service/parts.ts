import { Subject, type Observable } from 'rxjs';
import type { CameraConfig } from '../config.js';
import type { EvidenceArchive } from '../evidence/archive.js';
import type { PartEvent } from '../parts/former.js';
import { formerFor, type FormerSettings } from '../parts/formers.js';
import { wholeImage } from '../parts/luma.js';
import { PartFramer } from '../parts/part-framer.js';
import { PartJudge } from '../parts/part-judge.js';
import type { PartRule } from '../parts/rule.js';
import type { MqttSink } from '../sinks/mqtt-sink.js';
import type { CameraEvent } from '../sources/events.js';
import { failSafePartReasons, type Decision, type Frame, type Logger, type PartTrigger, type PartVerdict } from '../types.js';
import type { ServiceBase } from './base.js';
import type { Http } from './http.js';
import type { Part } from './lifecycle.js';
import type { LineControl } from './line-control.js';
import type { LiveModel } from './model.js';
import { startPartSignals, type PartSignals } from './part-signals.js';

export interface Parts {
  /** The cameras' frames, each camera that forms parts through its part former; the others' untouched. */
  assign(frames$: Observable<Frame>): Observable<Frame>;
  /** The software triggers of `camera` (captureCamera's `triggers`); undefined for a camera that takes none. */
  triggersFor(camera: string): Observable<PartTrigger> | undefined;
  /** Every camera event: a trigger the camera will not answer closes its part. */
  cameraEvent(event: CameraEvent): void;
  /** Every frame decision, after the sink took it. */
  decided(decision: Decision): void;
}

/** A camera's config, as its part former takes it; undefined for a camera that forms no parts. */
export function formerSettings(cam: CameraConfig): FormerSettings | undefined {
  const p = cam.parts;
  if (p === undefined) return undefined;
  const { frameTimeoutMs } = p;
  const trigger = cam.genicam?.trigger.mode ?? 'off';
  if (trigger === 'software') return { kind: 'software', frameTimeoutMs };
  if (trigger === 'hardware') return { kind: 'hardware', frameTimeoutMs, signalLagMs: p.signalLagMs };
  if (p.detector === undefined) return { kind: 'grab', frames: p.frames, frameTimeoutMs };
  const d = p.detector;
  return { kind: 'detector', frameTimeoutMs, detector: d.kind === 'station' ? { ...d, region: d.region ?? wholeImage } : d };
}

const ruleOf = (p: NonNullable<CameraConfig['parts']>): PartRule => (p.rule === 'k-of-n' ? { kind: 'k-of-n', k: p.k! } : { kind: p.rule });

/** Log lines of the parts, once where a flood would say nothing more. */
function partLog(logger: Logger) {
  const said = new Set<string>();
  const once = (key: string, say: () => void) => {
    if (said.has(key)) return;
    said.add(key);
    say();
  };
  return {
    event(e: PartEvent): void {
      if (e.type === 'duplicate') logger.info('part signal ignored: this part is known already (a redelivery)', { camera: e.camera, partId: e.partId });
      if (e.type === 'unclaimed') once(`unclaimed:${e.camera}`, () => logger.warn('a frame no part signal claimed is scored alone (a trigger pulse without a part signal: check the PLC and the wiring; said once a camera)', { camera: e.camera, seq: e.seq }));
      if (e.type === 'close' && e.short === true) once(`short:${e.camera}`, () => logger.warn('a part was cut short by the next part\'s signal, and decided on the frames it got (lower parts.frames, or raise the frame rate; said once a camera)', { camera: e.camera, partId: e.partId, why: e.why }));
    },
    part(p: PartVerdict): void {
      if (failSafePartReasons.includes(p.reason)) logger.warn('part decided by the fail-safe', { id: p.id, reason: p.reason, reject: p.reject });
      else logger.debug('part decided', { id: p.id, reason: p.reason, reject: p.reject, frames: p.verdictIds.length });
    },
  };
}

type Needs = Pick<ServiceBase, 'cfg' | 'logger' | 'runId' | 'causes'> & {
  readonly model: LiveModel;
  readonly sink: MqttSink;
  readonly control: LineControl;
  readonly http: Http;
  readonly archive: EvidenceArchive | undefined;
};

interface Started extends Parts {
  readonly framer: PartFramer | undefined;
  readonly signals: PartSignals | undefined;
}

const none: Started = { assign: (frames$) => frames$, triggersFor: () => undefined, cameraEvent: () => undefined, decided: () => undefined, framer: undefined, signals: undefined };

/**
 * Parts (docs/parts.md): for each camera with a `parts` section, its part former (parts/formers.ts) and its part
 * signal (part-signals.ts: the PLC's counter, an OPC UA node, or the MQTT trigger topic); one judge decides every part
 * by its camera's rule, and each decision goes out beside the frame verdicts, through the same queue (`part`,
 * `part/reject`), to the figures and to the evidence archive. Listed before the cameras, which take its software
 * triggers and pass their frames through it. Stopping stops the signals and decides every part still open (the
 * inspection has drained by then): what a part did not get, the fail-safe decides, so the actuator hears of it.
 */
export const parts: Part<Needs, 'parts', Started> = {
  name: 'parts',
  async start({ cfg, logger, runId, causes, model: { live }, sink, control, http: { obs }, archive }) {
    const cameras = cfg.cameras.flatMap((cam) => {
      const settings = formerSettings(cam);
      return settings === undefined ? [] : [{ cam, settings, parts: cam.parts! }];
    });
    if (cameras.length === 0) return none;
    const log = partLog(logger);
    const triggers = new Map(cameras.filter((c) => c.settings.kind === 'software').map((c) => [c.cam.id, new Subject<PartTrigger>()]));
    const budgets = new Map(cameras.map((c) => [c.cam.id, c.parts.decisionBudgetMs]));
    const judge = new PartJudge({
      cameras: new Map(cameras.map((c) => [c.cam.id, { line: c.cam.line, rule: ruleOf(c.parts) }])),
      failSafe: cfg.model.failSafe,
      // the pipeline decides every frame by its deadline; this is the net under it
      verdictWaitMs: cfg.model.deadlineMs + 2000,
      productOf: (camera) => control.productFor(camera) ?? cfg.cameras.find((c) => c.id === camera)!.product,
      modelId: () => live.modelId,
    });
    const framer = new PartFramer({
      formers: new Map(cameras.map((c) => [c.cam.id, formerFor(c.cam.id, runId, c.settings)])),
      judge,
      onPart: (p) => {
        sink.verdicts.publishPart(p);
        const budget = budgets.get(p.camera);
        obs.part(p, budget !== undefined && p.decidedAt - p.signalAt > budget);
        archive?.recordPart(p);
        log.part(p);
      },
      onEvent: (e) => {
        log.event(e);
        if (e.type === 'duplicate' || e.type === 'unclaimed') obs.partEvent(e.camera, e.type);
        if (e.type === 'close' && e.short === true) obs.partEvent(e.camera, 'short');
      },
      fire: (camera, t) => triggers.get(camera)?.next(t),
    });
    const signals = await startPartSignals(cameras.map((c) => c.cam), { cfg, sink, causes, logger, onSignal: (camera, s) => framer.signal(camera, s) });
    return {
      assign: (frames$) => framer.frames(frames$),
      triggersFor: (camera) => triggers.get(camera),
      cameraEvent: (e) => {
        if (e.type === 'trigger-missed') framer.missed(e.camera, e.partId, e.reason);
      },
      decided: (d) => framer.verdict(d.verdict),
      framer,
      signals,
    };
  },
  async stop({ framer, signals }) {
    await signals?.close();
    framer?.stop();
  },
};
