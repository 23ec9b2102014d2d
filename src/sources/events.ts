import type { ChildTriggerMiss } from './protocol.js';

/**
 * Why a software trigger got no frame: what the GenICam child saw (protocol.ts), or the capture's own reasons: the
 * camera was not running (starting, restarting), is not software-triggered, its process ended with the trigger owed,
 * or the capture was stopped.
 */
export type TriggerMiss = ChildTriggerMiss | 'not-running' | 'not-software-triggered' | 'exited' | 'stopped';

/** What happens to a camera's capture, for logs, the status topic and tests. Each names its camera. */
export type CameraEvent =
  /** A capture process runs the pipeline (it may still be connecting to the camera). */
  | { readonly type: 'started'; readonly camera: string; readonly pid: number }
  /** No frame for `seconds`: the process is killed and restarted (a frozen RTSP server gives no other sign). */
  | { readonly type: 'frame-timeout'; readonly camera: string; readonly seconds: number }
  /**
   * The pipeline reported an error (bus error, invalid description), or a GenICam camera refused a setting (`code`
   * GENICAM_FEATURE); the process exits and is restarted.
   */
  | { readonly type: 'error'; readonly camera: string; readonly message: string; readonly code?: string }
  /** The capture process ended other than by reaching the end of a file. */
  | { readonly type: 'exited'; readonly camera: string; readonly code: number | null; readonly signal: string | null }
  /** The next capture process starts after `delayMs`; `attempt` counts restarts since frames last flowed. */
  | { readonly type: 'restarting'; readonly camera: string; readonly attempt: number; readonly delayMs: number }
  /** The decoder delivered fewer frames than the file holds (a damaged file): `expected - got` parts never inspected. */
  | { readonly type: 'frames-lost'; readonly camera: string; readonly got: number; readonly expected: number }
  /** The pipeline warned (a decoder meeting bad data, a source dropping buffers); it goes on. */
  | { readonly type: 'warning'; readonly camera: string; readonly message: string }
  /** A file source reached its end after its last frame; with `loop` it starts again, else the capture completes. */
  | { readonly type: 'ended'; readonly camera: string; readonly loop: boolean }
  /** A software trigger (`partId`, `at` as asked) that will get no frame; every trigger ends in a frame or this. */
  | { readonly type: 'trigger-missed'; readonly camera: string; readonly partId: string; readonly at: number; readonly reason: TriggerMiss; readonly message?: string }
  /** A frame of a software-triggered camera that answers no trigger it is owed (one already given up): dropped. */
  | { readonly type: 'untriggered-frame'; readonly camera: string }
  /** A GenICam camera's frames that arrived incomplete or not at all (network packets lost), since the last such event. */
  | { readonly type: 'frames-incomplete'; readonly camera: string; readonly count: number };
