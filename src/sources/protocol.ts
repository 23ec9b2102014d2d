/**
 * What a capture child (capture-child.ts, or genicam_child.py for a GenICam camera) and its parent tell each other
 * besides frames (those go through `framing.ts`). The launch description (a GenICam child: its spec, genicam.ts) goes
 * in by environment, status comes back by IPC, software triggers go out by IPC, the end comes back by exit code.
 */

/** Environment variable that carries the launch description: no message race at start-up, not visible in `ps`. */
export const launchEnv = 'UNIAD_CAPTURE_LAUNCH';

/** stdio index of the frame pipe in the child. */
export const frameFd = 3;

/** Why a software trigger got no frame, as far as the GenICam child can tell (genicam_child.py). */
export type ChildTriggerMiss =
  /** The camera refused `TriggerSoftware` (or is not in software trigger mode). */
  | 'failed'
  /** No frame within the trigger's timeout. */
  | 'timeout'
  /** Still owed a frame when an earlier trigger timed out: a frame arriving now could be either's. */
  | 'resync'
  /** The camera's frame for it arrived incomplete (packets lost on the network). */
  | 'incomplete';

/** Status messages from the child, by IPC. */
export type ChildMessage =
  | { readonly type: 'started' }
  | { readonly type: 'caps'; readonly width: number; readonly height: number; readonly format: string; readonly framerate: string }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'warning'; readonly message: string }
  /** The source's end: every frame is in the pipe. Sent before the exit, which may still be slow or by SIGKILL. */
  | { readonly type: 'eos' }
  /** GenICam: the camera opened and every setting read back as asked (sent before 'started'). */
  | { readonly type: 'genicam'; readonly camera: Readonly<Record<string, string>>; readonly settings: readonly GenicamReadBack[] }
  /** GenICam: the camera refused a feature or a value; the child exits failed after it. */
  | { readonly type: 'refused'; readonly feature: string; readonly value: string; readonly reason: string }
  /** GenICam: software trigger `seq` gets no frame. */
  | { readonly type: 'trigger-missed'; readonly seq: number; readonly reason: ChildTriggerMiss; readonly message?: string }
  /** GenICam: frames the camera sent that arrived incomplete or not at all, since the last such message. */
  | { readonly type: 'incomplete'; readonly count: number };

export interface GenicamReadBack {
  readonly feature: string;
  readonly value: string;
  readonly readBack: string;
}

/** Commands to the child, by IPC: fire software trigger `seq` (GenICam); its frame carries `seq` (framing.ts). */
export type ParentMessage = { readonly type: 'trigger'; readonly seq: number };

/**
 * How the child ends. The parent decides on these and on 'eos' (a file's end, which its exit may not live to say);
 * the other messages only explain.
 */
export const exitCodes = {
  /** Every frame up to the source's end was written and the frame pipe closed. */
  endOfStream: 0,
  /** The pipeline failed (bad description, bus error, frame pipe broken). */
  failed: 1,
  /** SIGTERM, or the parent went away. */
  terminated: 143,
} as const;
