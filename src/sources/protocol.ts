/**
 * What the capture child and its parent tell each other besides frames (those go through `framing.ts`).
 * The launch description goes in by environment, status comes back by IPC, the end by exit code.
 */

/** Environment variable that carries the launch description: no message race at start-up, not visible in `ps`. */
export const launchEnv = 'UNIAD_CAPTURE_LAUNCH';

/** stdio index of the frame pipe in the child. */
export const frameFd = 3;

/** Status messages from the child, by IPC. */
export type ChildMessage =
  | { readonly type: 'started' }
  | { readonly type: 'caps'; readonly width: number; readonly height: number; readonly format: string; readonly framerate: string }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'eos' };

/** How the child ends; the parent decides on these, the messages only explain. */
export const exitCodes = {
  /** Every frame up to the source's end was written and the frame pipe closed. */
  endOfStream: 0,
  /** The pipeline failed (bad description, bus error, frame pipe broken). */
  failed: 1,
  /** SIGTERM, or the parent went away. */
  terminated: 143,
} as const;
