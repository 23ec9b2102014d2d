/**
 * One camera as an Observable of frames. Each subscription runs its own capture process and keeps one running:
 * a process that fails, reports an error or goes quiet for `watchdogSeconds` is replaced after a capped
 * exponential backoff, forever. Only a file source's end completes the Observable (or restarts it, with `loop`).
 */
import { Observable } from 'rxjs';
import { backoffDelay, defaultBackoff, type BackoffPolicy } from '../backoff.js';
import type { Crop, Frame, Logger } from '../types.js';
import { spawnCaptureProcess, type CaptureProcess } from './capture-process.js';
import type { CameraEvent } from './events.js';
import type { FlowGate } from './flow-gate.js';
import { launchString } from './launch.js';
import { isNvmmSource, nvmmLaunchString } from './launch-nvmm.js';
import { exitCodes } from './protocol.js';
import { sourceHint } from './source-hint.js';
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
}

const defaultKillGraceMs = 2000;
/**
 * What a capture process gets to report 'started' (Node, the GStreamer registry and the pipeline loaded) before its
 * watchdog, armed from then on, takes over. That start-up is this machine's work, not the camera's: it took 1.6 s
 * at load average 13 (from tsx sources), and a watchdog counting it restarted every process before its first frame.
 */
const startAllowanceSeconds = 60;

export function captureCamera(camera: CaptureCamera, opts: CaptureOptions): Observable<Frame> {
  const out = { width: opts.width, height: opts.height, crop: camera.crop, fps: camera.fps, live: opts.live };
  const launch = camera.decoder === 'nvmm' && isNvmmSource(camera.spec) ? nvmmLaunchString(camera.spec, out) : launchString(camera.spec, out);
  const policy = opts.restart ?? defaultBackoff;
  const { logger } = opts;
  const source = describeSource(camera.spec);
  const log = { camera: camera.id, source };

  // a file played frame by frame (not live, no fps cap) must deliver every frame its sample table lists
  const everyFrame = camera.spec.kind === 'file' && !(opts.live ?? false) && camera.fps === undefined;
  let expected: number | undefined | null = null;
  const expectedFrames = () => (expected === null ? (expected = camera.spec.kind === 'file' ? videoSampleCount(camera.spec.path) : undefined) : expected);

  return new Observable<Frame>((subscriber) => {
    let seq = 0;
    /** Frames of the running capture process (one pass over a file). */
    let passFrames = 0;
    let attempt = 0;
    let unsubscribed = false;
    let proc: CaptureProcess | undefined;
    let restartTimer: NodeJS.Timeout | undefined;
    let watchdog: NodeJS.Timeout | undefined;

    const report = (event: CameraEvent) => {
      try {
        opts.onEvent?.(event);
      } catch (err) {
        logger.error('camera event handler threw', { ...log, event: event.type, error: (err as Error).message });
      }
    };

    const armWatchdog = (seconds: number) => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        report({ type: 'frame-timeout', camera: camera.id, seconds });
        logger.warn('no frame from camera in time, restarting its capture', { ...log, seconds });
        proc?.stop();
      }, seconds * 1000);
    };

    const scheduleRestart = () => {
      attempt += 1;
      const delayMs = backoffDelay(attempt, policy);
      report({ type: 'restarting', camera: camera.id, attempt, delayMs });
      logger.warn('restarting camera capture', { ...log, attempt, delayMs });
      restartTimer = setTimeout(start, delayMs);
    };

    const onClose = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(watchdog);
      proc = undefined;
      if (unsubscribed) return;
      if (code === exitCodes.endOfStream && camera.spec.kind === 'file') {
        const want = everyFrame ? expectedFrames() : undefined;
        if (want !== undefined && passFrames < want) {
          report({ type: 'frames-lost', camera: camera.id, got: passFrames, expected: want });
          logger.warn('camera source lost frames: the decoder delivered fewer than the file holds (damaged file?)', { ...log, got: passFrames, expected: want, lost: want - passFrames });
        }
        report({ type: 'ended', camera: camera.id, loop: camera.loop });
        logger.info(camera.loop ? 'file source ended, playing it again' : 'file source ended', log);
        if (camera.loop) start();
        else subscriber.complete();
        return;
      }
      // A camera never ends by itself: an end of stream from RTSP, V4L2 or test is a fault like any other exit.
      report({ type: 'exited', camera: camera.id, code, signal });
      logger.warn('camera capture process exited', { ...log, code, signal });
      scheduleRestart();
    };

    // A held camera sends no frames on purpose: its watchdog waits until it is released.
    let held = false;
    const hold = (handle: CaptureProcess) => {
      held = true;
      handle.pause();
      clearTimeout(watchdog);
      opts.gate!.whenReleased(camera.id, () => {
        held = false;
        if (unsubscribed || proc !== handle) return;
        handle.resume();
        armWatchdog(camera.watchdogSeconds);
      });
    };

    const start = () => {
      passFrames = 0;
      // A hold belongs to the process it paused; a new process is held again by its own first frame if need be.
      held = false;
      const handle = spawnCaptureProcess(
        launch,
        {
          onFrame: ({ width, height, pixels }) => {
            if (unsubscribed) return;
            watchdog?.refresh();
            attempt = 0;
            passFrames++;
            subscriber.next({ camera: camera.id, line: camera.line, product: camera.product, seq: seq++, capturedAt: Date.now(), width, height, pixels });
            if (!held && opts.gate?.isHeld(camera.id)) hold(handle);
          },
          onMessage: (message) => {
            switch (message.type) {
              case 'started':
                armWatchdog(camera.watchdogSeconds);
                // A process that talks has been spawned, so it has a pid.
                report({ type: 'started', camera: camera.id, pid: handle.pid! });
                logger.info('camera capture started', { ...log, pid: handle.pid });
                break;
              case 'error':
                // GStreamer's text ("Resource not found.") does not say which camera or URI it is about.
                report({ type: 'error', camera: camera.id, message: `${message.message}; source ${source}` });
                logger.error('camera pipeline error', { ...log, error: message.message, fix: sourceHint(camera.spec) });
                break;
              case 'warning':
                report({ type: 'warning', camera: camera.id, message: message.message });
                logger.warn('camera pipeline warning', { ...log, warning: message.message });
                break;
              case 'caps':
                logger.debug('camera caps', { ...log, width: message.width, height: message.height, format: message.format, framerate: message.framerate });
                break;
              case 'eos':
                logger.debug('camera source reached its end of stream', log);
                break;
            }
          },
          onStderr: (line) => logger.warn('camera capture process says', { ...log, line }),
          onClose,
        },
        opts.killGraceMs ?? defaultKillGraceMs,
      );
      proc = handle;
      armWatchdog(Math.max(camera.watchdogSeconds, startAllowanceSeconds));
    };

    start();
    return () => {
      unsubscribed = true;
      clearTimeout(restartTimer);
      clearTimeout(watchdog);
      proc?.stop();
    };
  });
}
