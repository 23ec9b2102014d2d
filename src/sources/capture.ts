/**
 * One camera as an Observable of frames. Each subscription runs its own capture process and keeps one running:
 * a process that fails, reports an error or goes quiet for `watchdogSeconds` is replaced after a capped
 * exponential backoff (`cameraBackoff`), forever. Only a file source's end completes the Observable (or restarts it, with `loop`).
 * A software-triggered GenICam camera fires a trigger for each part signal of `triggers`, and each ends in exactly
 * one frame carrying it or one `trigger-missed` event.
 * When to do what is decided by capture-machine.ts; this file only runs the process and the timers it asks for.
 */
import { Observable } from 'rxjs';
import type { BackoffPolicy } from '../backoff.js';
import { uniadError } from '../errors.js';
import type { Crop, Frame, Logger, PartTrigger, RegionLayout } from '../types.js';
import { cameraLogLine } from './camera-log.js';
import { startCapture, stepCapture, type CaptureAction, type CaptureInput, type CaptureRules, type CaptureState } from './capture-machine.js';
import { spawnCaptureProcess, type CaptureCommand, type CaptureProcess } from './capture-process.js';
import type { DecodedFrame } from './framing.js';
import type { CameraEvent } from './events.js';
import type { FlowGate } from './flow-gate.js';
import { defaultGenicam, genicamSpec, type GenicamSettings } from './genicam.js';
import { launchString, type LaunchOutput } from './launch.js';
import { isNvmmSource, nvmmLaunchString } from './launch-nvmm.js';
import { sourceHint } from './source-hint.js';
import { cropFits, probeSourceSize } from './source-size.js';
import { videoSampleCount } from './mp4-samples.js';
import { describeSource, type SourceSpec } from './uri.js';

export interface CaptureOptions {
  /** Size of every frame, what the model takes. */
  readonly width: number;
  readonly height: number;
  readonly logger: Logger;
  /** Called synchronously for each event; what it throws is logged, never thrown into the capture. */
  readonly onEvent?: (event: CameraEvent) => void;
  readonly restart?: BackoffPolicy;
  /** Play a file as a camera (paced, dropping when behind) instead of inspecting every frame. See launch.ts. */
  readonly live?: boolean;
  /** Time a capture process gets to exit after SIGTERM before SIGKILL. */
  readonly killGraceMs?: number;
  /** Holds this camera back while its consumer is behind (only for sources that can wait: files not played live). */
  readonly gate?: FlowGate;
  /** Part signals for a software-triggered GenICam camera: each fires a trigger while subscribed. */
  readonly triggers?: Observable<PartTrigger>;
}

/** What capture needs of a camera's configuration. */
export interface CaptureCamera {
  readonly id: string;
  readonly line: string;
  readonly product: string;
  readonly spec: SourceSpec;
  readonly crop?: Crop;
  readonly fps?: number;
  /** Re-open a file source at its end instead of completing. */
  readonly loop: boolean;
  readonly watchdogSeconds: number;
  /** Resolved by `chooseDecoder` (decoder.ts); absent = software. */
  readonly decoder?: 'software' | 'nvmm';
  /** A `genicam://` camera's settings; absent = the camera's own, free-running. */
  readonly genicam?: GenicamSettings;
  /**
   * The camera's regions (tiles/layout.ts): each delivered cropped and scaled to its layout's size, and every frame
   * carries them (`Frame.regions`). Absent: one image of the options' size, `crop` letterboxed into it.
   */
  readonly regionLayouts?: readonly RegionLayout[] | undefined;
  /** The camera's resolution as configured (needed with regions): a source of another size fails to start. */
  readonly size?: { readonly width: number; readonly height: number } | undefined;
}

const defaultKillGraceMs = 2000;
/**
 * A camera's restarts: after 0.5, 1, 2 and 4 s, then every 5 s, forever. A restart is a new capture process (Node and
 * GStreamer loaded: a fraction of a second of one core on an idle box), so a camera that stays down costs a few per
 * cent of a core; in exchange a camera whose RTSP server is back delivers again within 5 s and its start. The
 * inference worker keeps the 30 s cap (backoff.ts): its restart loads a model.
 */
export const cameraBackoff: BackoffPolicy = { initialMs: 500, maxMs: 5000, factor: 2 };
/**
 * What a capture process gets to report 'started' (Node, the GStreamer registry and the pipeline loaded) before its
 * watchdog, armed from then on, takes over. That start-up is this machine's work, not the camera's: it took 1.6 s
 * at load average 13 (from tsx sources), and a watchdog counting it restarted every process before its first frame.
 */
const startAllowanceSeconds = 60;

/**
 * How the camera's capture process is started: Aravis for a GenICam camera, else a GStreamer launch description.
 * A GenICam child has one appsink: its camera has one region at most (the config says so), cropped and scaled there.
 */
function captureCommand(camera: CaptureCamera, out: LaunchOutput): CaptureCommand {
  const { spec } = camera;
  if (spec.kind === 'genicam') {
    const region = out.regions?.[0];
    const single = region === undefined ? out : { ...out, regions: undefined, crop: region.crop, width: region.width, height: region.height };
    return { kind: 'genicam', spec: genicamSpec(spec.camera, camera.genicam ?? defaultGenicam, single) };
  }
  return { kind: 'gstreamer', launch: camera.decoder === 'nvmm' && isNvmmSource(spec) ? nvmmLaunchString(spec, out) : launchString(spec, out) };
}

/** The frame of a camera with regions: one image a region, as the capture child sent them, in order. */
function withRegions(layouts: readonly RegionLayout[], images: readonly DecodedFrame[]): Pick<Frame, 'width' | 'height' | 'pixels' | 'regions'> {
  const regions = layouts.map((layout, i) => ({ layout, pixels: images[i]!.pixels }));
  return { width: layouts[0]!.width, height: layouts[0]!.height, pixels: regions[0]!.pixels, regions };
}

export function captureCamera(camera: CaptureCamera, opts: CaptureOptions): Observable<Frame> {
  const regions = camera.regionLayouts?.map((r) => ({ crop: r.source, width: r.width, height: r.height }));
  const out = { width: opts.width, height: opts.height, crop: camera.crop, fps: camera.fps, live: opts.live, ...(regions ? { regions } : {}), ...(camera.size ? { size: camera.size } : {}) };
  const command = captureCommand(camera, out);
  const { logger } = opts;
  const source = describeSource(camera.spec);
  const log = { camera: camera.id, source };
  /** What the error lines tell to check: the source's usual suspects, or the crop once it is known not to fit. */
  // With regions the description asks for the configured size: a camera of another size fails with not-negotiated.
  let fix = camera.size === undefined ? sourceHint(camera.spec) : `check that the camera delivers ${camera.size.width}x${camera.size.height} (cameras[].size: a source of another size fails with "reason not-negotiated"); ${sourceHint(camera.spec)}`;
  const rules: CaptureRules = {
    camera: camera.id,
    source,
    file: camera.spec.kind === 'file',
    loop: camera.loop,
    watchdogSeconds: camera.watchdogSeconds,
    startAllowanceSeconds,
    restart: opts.restart ?? cameraBackoff,
    trigger: camera.spec.kind === 'genicam' ? (camera.genicam ?? defaultGenicam).trigger.mode : 'off',
  };

  // A file played frame by frame (not live, no fps cap) must deliver every frame its sample table lists. Read at
  // an exit, not before: a file that is not there yet may be by then.
  const countedFile = camera.spec.kind === 'file' && !(opts.live ?? false) && camera.fps === undefined ? camera.spec.path : undefined;
  let expected: number | undefined;
  const framesInFile = (file: string) => (expected ??= videoSampleCount(file));

  const report = (event: CameraEvent) => {
    const line = cameraLogLine(event, { source, fix });
    logger[line.level](line.msg, line.fields);
    try {
      opts.onEvent?.(event);
    } catch (err) {
      logger.error('camera event handler threw', { ...log, event: event.type, error: (err as Error).message });
    }
  };

  const imagesPerFrame = camera.spec.kind === 'genicam' ? 1 : (camera.regionLayouts?.length ?? 1);

  return new Observable<Frame>((subscriber) => {
    let state: CaptureState;
    let proc: CaptureProcess | undefined;
    let probe: ReturnType<typeof probeSourceSize> | undefined;

    /** After a pipeline error of a camera with a crop, once: the crop may lie outside its image, which GStreamer does not say. */
    const checkCrop = (crop: Crop) => {
      // a GenICam camera crops in the camera (genicam.roi), which reads back what it refuses
      if (probe !== undefined || camera.spec.kind === 'genicam') return;
      probe = probeSourceSize(camera.spec);
      void probe.size.then((size) => {
        if (size === undefined || cropFits(crop, size)) return;
        const err = uniadError('SOURCE_CROP', camera.id, `x ${crop.x}, y ${crop.y}, ${crop.width}x${crop.height}`, `${size.width}x${size.height}`);
        fix = err.message;
        logger.error("camera crop lies outside the camera's image", { ...log, crop, image: size, fix, code: err.code });
      });
    };
    let watchdog: NodeJS.Timeout | undefined;
    let restartTimer: NodeJS.Timeout | undefined;

    /** What the machine says, done; `frame` is the one a 'frame' input came with (its regions' images, in order). */
    const run = (action: CaptureAction, frame?: readonly DecodedFrame[]): void => {
      switch (action.type) {
        case 'spawn':
          return void (proc = spawn());
        case 'kill':
          return proc?.stop();
        case 'pause': {
          const handle = proc!;
          handle.pause();
          // A release belongs to the process it paused; a new process is held again by its own frames if need be.
          return opts.gate!.whenReleased(camera.id, () => handle === proc && feed({ type: 'release' }));
        }
        case 'resume':
          return proc?.resume();
        case 'arm-watchdog':
          clearTimeout(watchdog);
          return void (watchdog = setTimeout(() => feed({ type: 'watchdog' }), action.seconds * 1000));
        case 'disarm-watchdog':
          return clearTimeout(watchdog);
        case 'schedule-restart':
          return void (restartTimer = setTimeout(() => feed({ type: 'restart-due' }), action.delayMs));
        case 'cancel-restart':
          return clearTimeout(restartTimer);
        case 'deliver': {
          const [first] = frame!;
          const image = camera.regionLayouts === undefined ? { width: first!.width, height: first!.height, pixels: first!.pixels } : withRegions(camera.regionLayouts, frame!);
          const { trigger } = action;
          return subscriber.next({ camera: camera.id, line: camera.line, product: camera.product, seq: action.seq, capturedAt: Date.now(), ...image, ...(trigger === undefined ? {} : { trigger }) });
        }
        case 'fire':
          return proc?.trigger(action.seq);
        case 'emit':
          return report(action.event);
        case 'complete':
          return subscriber.complete();
      }
    };

    const apply = (step: { state: CaptureState; actions: readonly CaptureAction[] }, frame?: readonly DecodedFrame[]) => {
      state = step.state;
      for (const action of step.actions) run(action, frame);
    };
    const feed = (input: CaptureInput, frame?: readonly DecodedFrame[]) => apply(stepCapture(rules, state, input), frame);

    const spawn = (): CaptureProcess => {
      // A process's records come in frames of one a region (capture-child.ts); a new process starts a new frame.
      let images: DecodedFrame[] = [];
      const handle = spawnCaptureProcess(
        command,
        {
          onFrame: (image) => {
            if (handle !== proc) return;
            images.push(image);
            if (images.length < imagesPerFrame) return;
            const frame = images;
            images = [];
            feed({ type: 'frame', trigger: frame[0]!.trigger }, frame);
            // The consumer may have held this camera while taking the frame.
            if (opts.gate?.isHeld(camera.id)) feed({ type: 'hold' });
          },
          onMessage: (message) => {
            if (handle !== proc) return;
            switch (message.type) {
              case 'started':
                // A process that talks has been spawned, so it has a pid.
                return feed({ type: 'started', pid: handle.pid! });
              case 'error':
                if (camera.crop !== undefined) checkCrop(camera.crop);
                return feed({ type: message.type, message: message.message });
              case 'warning':
                return feed({ type: message.type, message: message.message });
              case 'caps':
                return logger.debug('camera caps', { ...log, width: message.width, height: message.height, format: message.format, framerate: message.framerate });
              case 'eos':
                logger.debug('camera source reached its end of stream', log);
                return feed({ type: 'end-of-stream' });
              case 'genicam':
                return logger.info('genicam camera opened, settings read back', { ...log, device: message.camera, settings: message.settings });
              case 'refused':
                return feed({ type: 'error', message: uniadError('GENICAM_FEATURE', camera.id, message.feature, message.value, message.reason).message, code: 'GENICAM_FEATURE' });
              case 'trigger-missed':
                return feed({ type: 'trigger-missed', seq: message.seq, reason: message.reason, ...(message.message === undefined ? {} : { message: message.message }) });
              case 'incomplete':
                return feed({ type: 'incomplete', count: message.count });
            }
          },
          onStderr: (line) => logger.warn('camera capture process says', { ...log, line }),
          onClose: (code, signal) => {
            if (handle !== proc) return;
            proc = undefined;
            feed({ type: 'exit', code, signal, ...(countedFile === undefined ? {} : { framesInFile: framesInFile(countedFile) }) });
          },
        },
        opts.killGraceMs ?? defaultKillGraceMs,
      );
      return handle;
    };

    apply(startCapture(rules));
    const triggers = opts.triggers?.subscribe((t) => feed({ type: 'trigger', partId: t.partId, at: t.at }));
    return () => {
      triggers?.unsubscribe();
      probe?.cancel();
      feed({ type: 'stop' });
    };
  });
}
