import type { CameraConfig } from '../config.js';
import { uniadError } from '../errors.js';
import { cameraStatePayload } from '../sinks/payload.js';
import type { StatusCauses } from '../sinks/status-causes.js';
import { cameraStateTopic } from '../sinks/topics.js';
import { nextHealth, startingHealth, type CameraHealth, type HealthInput } from '../sources/camera-health.js';
import type { CameraEvent } from '../sources/events.js';
import type { FailSafe, Logger } from '../types.js';

export interface CameraWatchParts {
  readonly causes: StatusCauses;
  readonly logger: Logger;
  /** Every change of a camera's health (for the metric and the status's figures). */
  readonly onHealth: (camera: string, health: CameraHealth) => void;
  /** Publishes a retained message, again after every reconnect (the sink's link). */
  readonly publishRetained: (topic: string, payload: string) => void;
  readonly prefix: string;
  readonly failSafe: FailSafe;
  /** Whether the consumer holds the camera back on purpose (a file waiting for the model). */
  readonly held: (camera: string) => boolean;
  readonly now?: () => number;
  readonly monotonic?: () => number;
  /** How often silence is looked at. Default 1000. */
  readonly tickMs?: number;
}

export interface CameraWatch {
  frame(camera: string): void;
  event(event: CameraEvent): void;
  /** The cameras after a reload: one added is watched from now, one removed leaves the status (its state says why). */
  setCameras(next: readonly CameraConfig[]): void;
  /** The service stops: every camera's state says `down` (retained: nothing inspects its parts any more). */
  close(): void;
}

/**
 * Each camera's health (sources/camera-health.ts) told to the line: a camera that is down is a cause of `degraded`
 * (CAMERA_DOWN, one per camera, naming it, why and since when), its retained `<prefix>/<line>/<camera>/state` says
 * so with the fail-safe decision its uninspected parts need, its `uniad_camera_up` is 0, and the log says when it went
 * down and came back. Silence is measured on the monotonic clock, once a second.
 */
export function watchCameras(initial: readonly CameraConfig[], parts: CameraWatchParts): CameraWatch {
  const { causes, logger, failSafe } = parts;
  const now = parts.now ?? Date.now;
  const monotonic = parts.monotonic ?? (() => performance.now());
  const started = monotonic();
  const lastFrame = new Map<string, number>();
  let cameras = initial;
  const byId = new Map(cameras.map((c) => [c.id, c]));
  const health = new Map(cameras.map((c) => [c.id, startingHealth(now())]));

  const publish = (cam: CameraConfig, h: CameraHealth) =>
    parts.publishRetained(cameraStateTopic(parts.prefix, cam.line, cam.id), cameraStatePayload({ camera: cam.id, line: cam.line, state: h.state, since: h.since, reason: h.reason, failSafe }, now()));

  const apply = (camera: string, input: HealthInput) => {
    const cam = byId.get(camera);
    const was = health.get(camera);
    if (cam === undefined || was === undefined) return;
    const next = nextHealth(was, input, now());
    if (next === was) return;
    health.set(camera, next);
    const key = `CAMERA_DOWN:${camera}`;
    if (next.state === 'down') {
      causes.set(uniadError('CAMERA_DOWN', camera, new Date(next.since).toISOString(), next.reason!, failSafe), key);
      if (was.state !== 'down') logger.warn('camera down: no frames, its parts pass uninspected', { camera, reason: next.reason });
    } else {
      causes.clear(key);
      if (was.state === 'down') logger.info('camera up again: frames flow', { camera, downSeconds: Math.round((next.since - was.since) / 1000) });
    }
    parts.onHealth(camera, next);
    publish(cam, next);
  };

  // the state of this run from its start: a retained `up` of a run before must not stand
  for (const cam of cameras) publish(cam, health.get(cam.id)!);
  const timer = setInterval(() => {
    for (const cam of cameras) apply(cam.id, { type: 'tick', silentMs: monotonic() - (lastFrame.get(cam.id) ?? started), watchdogSeconds: cam.watchdogSeconds, held: parts.held(cam.id) });
  }, parts.tickMs ?? 1000).unref();

  return {
    frame(camera) {
      lastFrame.set(camera, monotonic());
      apply(camera, { type: 'frame' });
    },
    event: (event) => apply(event.camera, { type: 'event', event }),
    setCameras(next) {
      for (const cam of cameras) {
        if (next.some((c) => c.id === cam.id)) continue;
        causes.clear(`CAMERA_DOWN:${cam.id}`);
        publish(cam, { state: 'down', since: now(), reason: 'removed from the config' });
        byId.delete(cam.id);
        health.delete(cam.id);
        lastFrame.delete(cam.id);
      }
      for (const cam of next) {
        byId.set(cam.id, cam);
        if (health.has(cam.id)) continue;
        health.set(cam.id, startingHealth(now()));
        // its silence counts from when it was added, not from the service's start
        lastFrame.set(cam.id, monotonic());
        publish(cam, health.get(cam.id)!);
      }
      cameras = next;
    },
    close() {
      clearInterval(timer);
      for (const cam of cameras) publish(cam, { state: 'down', since: now(), reason: 'the service stopped' });
    },
  };
}
