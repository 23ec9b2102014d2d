import { map, tap, type Observable } from 'rxjs';
import type { CameraConfig } from '../config.js';
import type { MqttSink } from '../sinks/mqtt-sink.js';
import type { Frame } from '../types.js';
import type { ServiceBase } from './base.js';
import { cameraFrames } from './camera-frames.js';
import { watchCameras, type CameraWatch } from './camera-health.js';
import { flowControl, type FlowControl } from './flow-control.js';
import { frameLoss } from './frame-loss.js';
import { regionLayouts } from './regions.js';
import type { Http } from './http.js';
import type { Part } from './lifecycle.js';
import type { LineControl } from './line-control.js';
import type { LiveModel } from './model.js';
import type { CameraChanges } from './reload-plan.js';
import type { Parts } from './parts.js';

export interface Cameras {
  /** Every camera's frames at the model's input size, stamped with the line settings in force as they left it. */
  readonly frames$: Observable<Frame>;
  readonly flow: FlowControl;
  /** Capture restarts per camera since the start. */
  restarts(): Record<string, number>;
  /** Frames each camera's decoder lost since the start. */
  framesLost(): Record<string, number>;
  /**
   * A reloaded config's cameras (SIGHUP, reload-plan.ts): the decoders of those to start are resolved now, throwing
   * as at start (SOURCE_NVMM) before anything changed. Returns what applies it: the cameras added start, those removed
   * stop (what they delivered is still decided), those whose capture settings changed restart alone (their seq goes
   * on), the others keep running untouched.
   */
  prepareReload(next: readonly CameraConfig[], changes: CameraChanges): () => void;
}

type Needs = Pick<ServiceBase, 'cfg' | 'logger' | 'causes' | 'onCameraEvent'> & { readonly model: LiveModel; readonly sink: MqttSink; readonly http: Http; readonly control: LineControl; readonly parts: Parts };

/**
 * The cameras of the config, each decoder resolved against the GStreamer elements installed here: throws when a
 * camera cannot run on this machine (SOURCE_NVMM). Capture processes start when the inspection subscribes, and stop
 * when it stops taking frames. Each camera's health is watched (service/camera-health.ts): a camera that is down is
 * on the status, in the metrics and on its retained state topic; stopping says every camera is down.
 */
export const cameras: Part<Needs, 'cameras', Cameras & { readonly watch: CameraWatch }> = {
  name: 'cameras',
  start({ cfg, logger, causes, onCameraEvent, model, sink, http: { obs }, control, parts }) {
    const flow = flowControl(cfg.cameras);
    const loss = frameLoss(causes);
    const gates = new Map(cfg.cameras.map((cam) => [cam.id, flow.gateFor(cam)]));
    const watch = watchCameras(cfg.cameras, {
      causes,
      logger,
      onHealth: (camera, health) => obs.cameraHealth(camera, health),
      publishRetained: (topic, payload) => sink.link.publishRetained(topic, payload),
      prefix: cfg.mqtt.prefix,
      failSafe: cfg.model.failSafe,
      held: (camera) => gates.get(camera)?.isHeld(camera) ?? false,
    });
    const captured = cameraFrames(cfg.cameras, {
      ...model.loaded.sidecar.input,
      flow,
      layouts: regionLayouts(cfg.cameras, model.loaded.sidecar),
      logger,
      triggersFor: (camera) => parts.triggersFor(camera),
      onCameraEvent: (event) => {
        loss.onEvent(event);
        obs.cameraEvent(event);
        watch.event(event);
        parts.cameraEvent(event);
        onCameraEvent?.(event);
      },
    });
    // Stamped as they leave the cameras, after their part formers: a recipe or threshold change applies from the next captured frame.
    const frames$ = captured.frames$.pipe(
      tap((frame) => {
        obs.frame(frame);
        watch.frame(frame.camera);
      }),
      (f$) => parts.assign(f$),
      map((frame) => control.stamp(frame)),
    );
    return {
      frames$,
      flow,
      restarts: captured.restarts,
      framesLost: loss.counts,
      watch,
      prepareReload: (next, changes) => {
        const start = captured.prepare([...changes.added, ...changes.restarted.map((r) => r.camera)], regionLayouts(next, model.loaded.sidecar));
        return () => {
          flow.setCameras(next);
          for (const cam of next) gates.set(cam.id, flow.gateFor(cam));
          obs.setCameras(next);
          watch.setCameras(next);
          // started before the others stop: the merged frames never run out of cameras, which would end the service
          start();
          for (const cam of changes.removed) {
            captured.remove(cam.id);
            loss.forget(cam.id);
            gates.delete(cam.id);
          }
        };
      },
    };
  },
  stop: ({ watch }) => watch.close(),
};
