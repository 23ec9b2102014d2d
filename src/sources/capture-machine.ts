/**
 * One camera's capture lifecycle as a pure state machine: what happened goes in (the capture process started, sent a
 * frame, reported an error or the end of its file, exited; the watchdog or the restart timer fired; the consumer held,
 * released or stopped the camera), what to do comes out (spawn, kill, arm the watchdog, schedule a restart, tell the
 * world, complete). No processes, no timers, no clock: capture.ts does what it is told and feeds back what happened.
 *
 * In every step the effects on processes and timers come first and what is told to the outside (a frame, an event,
 * the completion) last: an observer that stops the camera from inside its handler then finds, and undoes, everything
 * the step started.
 */
import { backoffDelay, type BackoffPolicy } from '../backoff.js';
import type { PartTrigger } from '../types.js';
import type { CameraEvent, TriggerMiss } from './events.js';
import { exitCodes, type ChildTriggerMiss } from './protocol.js';

/** What the machine needs to know of its camera. */
export interface CaptureRules {
  readonly camera: string;
  /** The source as logs may show it (describeSource): GStreamer's errors do not say which camera they are about. */
  readonly source: string;
  /** Only a file ends: the end of stream of any other source is a fault like any other exit. */
  readonly file: boolean;
  /** Play a file again at its end instead of completing. */
  readonly loop: boolean;
  /** No frame for this long from a started process: it is declared frozen, killed and restarted. */
  readonly watchdogSeconds: number;
  /** What a process gets from its spawn to saying 'started' (loading Node and GStreamer is this machine's work). */
  readonly startAllowanceSeconds: number;
  readonly restart: BackoffPolicy;
  /**
   * A GenICam camera's trigger mode; absent = `off`. Frames of a triggered camera come only per part, so the watchdog
   * cannot wait for frames: `software` watches only while a trigger is owed a frame (`watchdogSeconds` with no
   * answer from the process = it is frozen), `hardware` not at all once started (a lost camera ends its process).
   */
  readonly trigger?: 'off' | 'software' | 'hardware';
}

export type CaptureInput =
  /** The capture process loaded its pipeline. */
  | { readonly type: 'started'; readonly pid: number }
  /** `trigger`: the software trigger it answers (framing.ts), 0 or absent for none. */
  | { readonly type: 'frame'; readonly trigger?: number }
  /** The consumer is behind: stop reading this camera (files not played live only). */
  | { readonly type: 'hold' }
  | { readonly type: 'release' }
  /** `code`: the error table's code when the message is one of its messages (a GenICam refusal). */
  | { readonly type: 'error'; readonly message: string; readonly code?: string }
  | { readonly type: 'warning'; readonly message: string }
  /** The process delivered its source's last frame and is on its way out. */
  | { readonly type: 'end-of-stream' }
  /**
   * The process is gone and every frame it wrote was delivered. `framesInFile`: what one pass over a file played
   * frame by frame must deliver, when its sample table says.
   */
  | { readonly type: 'exit'; readonly code: number | null; readonly signal: string | null; readonly framesInFile?: number }
  | { readonly type: 'watchdog' }
  | { readonly type: 'restart-due' }
  /** The consumer unsubscribed. */
  | { readonly type: 'stop' }
  /** A part signal for a software-triggered camera: fire a trigger now. */
  | ({ readonly type: 'trigger' } & PartTrigger)
  /** The process says trigger `seq` gets no frame. */
  | { readonly type: 'trigger-missed'; readonly seq: number; readonly reason: ChildTriggerMiss; readonly message?: string }
  /** The process counted `count` frames of the camera that arrived incomplete or not at all. */
  | { readonly type: 'incomplete'; readonly count: number };

export type CaptureAction =
  | { readonly type: 'spawn' }
  /** Ends the running process (idempotent); its exit comes back as an input. */
  | { readonly type: 'kill' }
  /** Stop reading the process's frames (its writes then block) and call back with 'release' once released. */
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  /** Start (or restart) the countdown to a 'watchdog' input. */
  | { readonly type: 'arm-watchdog'; readonly seconds: number }
  | { readonly type: 'disarm-watchdog' }
  | { readonly type: 'schedule-restart'; readonly delayMs: number }
  | { readonly type: 'cancel-restart' }
  /** Pass the frame that came in on, numbered `seq`, answering `trigger` if it does. */
  | { readonly type: 'deliver'; readonly seq: number; readonly trigger?: PartTrigger }
  /** Tell the process to fire software trigger `seq`. */
  | { readonly type: 'fire'; readonly seq: number }
  | { readonly type: 'emit'; readonly event: CameraEvent }
  | { readonly type: 'complete' };

export interface CaptureState {
  /**
   * `spawning`: a process is loading; `running`: it said 'started'; `stopping`: the watchdog killed it and its exit is
   * awaited; `backoff`: no process, a restart is scheduled; `done`: completed or stopped, nothing more happens.
   */
  readonly phase: 'spawning' | 'running' | 'stopping' | 'backoff' | 'done';
  /** Frames delivered since the subscription. */
  readonly seq: number;
  /** Restarts since frames last flowed. */
  readonly attempt: number;
  /** Frames of the current process (one pass over a file). */
  readonly passFrames: number;
  /** The watchdog's period while armed; null while no process is watched (none, held, being killed, past its end). */
  readonly watchdog: number | null;
  /** Paused by the consumer; the watchdog waits meanwhile (a held camera sends no frames on purpose). */
  readonly held: boolean;
  /** The current process reported the end of its file: however it exits, that pass is over, not failed. */
  readonly ended: boolean;
  /** Software triggers fired and owed a frame, oldest first. */
  readonly owed: readonly OwedTrigger[];
  /** The number the next software trigger gets (from 1; 0 means none on the frame pipe). */
  readonly nextTrigger: number;
}

export interface OwedTrigger extends PartTrigger {
  readonly seq: number;
}

export interface CaptureStep {
  readonly state: CaptureState;
  readonly actions: readonly CaptureAction[];
}

const live = (phase: CaptureState['phase']) => phase === 'spawning' || phase === 'running' || phase === 'stopping';
const startSeconds = (rules: CaptureRules) => Math.max(rules.watchdogSeconds, rules.startAllowanceSeconds);
/** Disarms the watchdog if it is armed. */
const disarm = (state: CaptureState): CaptureAction[] => (state.watchdog === null ? [] : [{ type: 'disarm-watchdog' }]);
const arm = (seconds: number): CaptureAction => ({ type: 'arm-watchdog', seconds });

/** A new process: spawned, and watched from the start with the start-up allowance. */
function spawn(rules: CaptureRules, state: CaptureState): CaptureStep {
  const seconds = startSeconds(rules);
  return {
    state: { ...state, phase: 'spawning', passFrames: 0, watchdog: seconds, held: false, ended: false },
    actions: [{ type: 'spawn' }, arm(seconds)],
  };
}

/** The subscription: the first process. */
export function startCapture(rules: CaptureRules): CaptureStep {
  return spawn(rules, { phase: 'spawning', seq: 0, attempt: 0, passFrames: 0, watchdog: null, held: false, ended: false, owed: [], nextTrigger: 1 });
}

const emit = (event: CameraEvent): CaptureAction => ({ type: 'emit', event });

const mode = (rules: CaptureRules) => rules.trigger ?? 'off';

/** Whether a running, unheld process is watched for frames now (see CaptureRules.trigger). */
function watchesFrames(rules: CaptureRules, owed: readonly OwedTrigger[]): boolean {
  const m = mode(rules);
  return m === 'off' || (m === 'software' && owed.length > 0);
}

const missed = (rules: CaptureRules, trigger: PartTrigger, reason: TriggerMiss, message?: string): CaptureAction =>
  emit({ type: 'trigger-missed', camera: rules.camera, partId: trigger.partId, at: trigger.at, reason, ...(message === undefined ? {} : { message }) });

/** Every owed trigger missed for `reason`: the process that owed them is gone. */
const missAll = (rules: CaptureRules, state: CaptureState, reason: TriggerMiss): CaptureAction[] => state.owed.map((t) => missed(rules, t, reason));

/**
 * Trigger `seq` answered (by its frame, or by the process saying it will get none): no longer owed, and the watchdog
 * now watches for the next owed trigger's answer, or stops watching.
 */
function settle(rules: CaptureRules, state: CaptureState, seq: number): { state: CaptureState; watch: CaptureAction[] } {
  const owed = state.owed.filter((t) => t.seq !== seq);
  const running = state.phase === 'running' && !state.held;
  if (running && owed.length > 0) return { state: { ...state, owed, watchdog: rules.watchdogSeconds }, watch: [arm(rules.watchdogSeconds)] };
  return { state: { ...state, owed, watchdog: running ? null : state.watchdog }, watch: running ? disarm(state) : [] };
}

/** A part signal: fired at once when a software-triggered camera runs, else missed at once. */
function trigger(rules: CaptureRules, state: CaptureState, request: PartTrigger): CaptureStep {
  if (mode(rules) !== 'software') return { state, actions: [missed(rules, request, 'not-software-triggered')] };
  if (state.phase !== 'running') return { state, actions: [missed(rules, request, 'not-running')] };
  const seq = state.nextTrigger;
  const watch = state.watchdog === null && !state.held ? [arm(rules.watchdogSeconds)] : [];
  return {
    state: {
      ...state,
      owed: [...state.owed, { seq, partId: request.partId, at: request.at }],
      // uint32 on the frame pipe; 0 is "none".
      nextTrigger: seq === 0xffff_ffff ? 1 : seq + 1,
      watchdog: watch.length > 0 ? rules.watchdogSeconds : state.watchdog,
    },
    actions: [{ type: 'fire', seq }, ...watch],
  };
}

/** A frame of a software-triggered camera: delivered only as the answer to a trigger it is owed. */
function triggeredFrame(rules: CaptureRules, state: CaptureState, seq: number): CaptureStep {
  const answered = state.owed.find((t) => t.seq === seq);
  const alive = { ...state, attempt: 0 };
  if (seq === 0 || answered === undefined) return { state: alive, actions: [emit({ type: 'untriggered-frame', camera: rules.camera })] };
  const settled = settle(rules, alive, seq);
  return {
    state: { ...settled.state, seq: state.seq + 1, passFrames: state.passFrames + 1 },
    actions: [...settled.watch, { type: 'deliver', seq: state.seq, trigger: { partId: answered.partId, at: answered.at } }],
  };
}

function exited(rules: CaptureRules, state: CaptureState, input: Extract<CaptureInput, { type: 'exit' }>): CaptureStep {
  const { camera } = rules;
  const endOfFile = rules.file && (state.ended || input.code === exitCodes.endOfStream);
  if (!endOfFile) {
    // A camera never ends by itself: an exit, whatever its code, is a fault and the camera is restarted.
    const attempt = state.attempt + 1;
    const delayMs = backoffDelay(attempt, rules.restart);
    return {
      state: { ...state, phase: 'backoff', attempt, watchdog: null, held: false, owed: [] },
      actions: [
        ...disarm(state),
        { type: 'schedule-restart', delayMs },
        emit({ type: 'exited', camera, code: input.code, signal: input.signal }),
        ...missAll(rules, state, 'exited'),
        emit({ type: 'restarting', camera, attempt, delayMs }),
      ],
    };
  }
  const lost = input.framesInFile !== undefined && state.passFrames < input.framesInFile ? [emit({ type: 'frames-lost', camera, got: state.passFrames, expected: input.framesInFile })] : [];
  const told = [...lost, emit({ type: 'ended', camera, loop: rules.loop })];
  if (rules.loop) {
    const next = spawn(rules, state);
    return { state: next.state, actions: [...next.actions, ...told] };
  }
  return {
    state: { ...state, phase: 'done', watchdog: null, held: false },
    actions: [...disarm(state), ...told, { type: 'complete' }],
  };
}

/** What `input` does to a capture in `state`. */
export function stepCapture(rules: CaptureRules, state: CaptureState, input: CaptureInput): CaptureStep {
  const { camera } = rules;
  const none = { state, actions: [] };
  if (state.phase === 'done') return none;
  switch (input.type) {
    case 'started': {
      // A process the watchdog is already killing has nothing to start.
      if (state.phase !== 'spawning') return none;
      const watch = !state.held && watchesFrames(rules, state.owed);
      return {
        state: { ...state, phase: 'running', watchdog: watch ? rules.watchdogSeconds : null },
        actions: [...(watch ? [arm(rules.watchdogSeconds)] : disarm(state)), emit({ type: 'started', camera, pid: input.pid })],
      };
    }
    case 'frame': {
      if (!live(state.phase)) return none;
      if (mode(rules) === 'software') return triggeredFrame(rules, state, input.trigger ?? 0);
      // Restarts the watchdog's countdown if it runs: frames of a process being killed, held or past its end still
      // count, but do not revive it.
      return {
        state: { ...state, seq: state.seq + 1, attempt: 0, passFrames: state.passFrames + 1 },
        actions: [...(state.watchdog === null ? [] : [arm(state.watchdog)]), { type: 'deliver', seq: state.seq }],
      };
    }
    case 'hold':
      // A process being killed is not paused: a paused pipe would keep its exit from ever being seen.
      if (state.held || (state.phase !== 'spawning' && state.phase !== 'running')) return none;
      return {
        state: { ...state, held: true, watchdog: null },
        actions: [{ type: 'pause' }, ...disarm(state)],
      };
    case 'release': {
      if (!state.held) return none;
      const watch = (state.phase === 'spawning' || (state.phase === 'running' && watchesFrames(rules, state.owed))) && !state.ended;
      const seconds = state.phase === 'spawning' ? startSeconds(rules) : rules.watchdogSeconds;
      return {
        state: { ...state, held: false, watchdog: watch ? seconds : state.watchdog },
        actions: [{ type: 'resume' }, ...(watch ? [arm(seconds)] : [])],
      };
    }
    case 'error':
      // GStreamer's text ("Resource not found.") does not say which camera or URI it is about.
      return { state, actions: [emit({ type: 'error', camera, message: `${input.message}; source ${rules.source}`, ...(input.code === undefined ? {} : { code: input.code }) })] };
    case 'warning':
      return { state, actions: [emit({ type: 'warning', camera, message: input.message })] };
    case 'end-of-stream':
      // A file's process exits by itself once its frames are out (capture-child.ts bounds that): however long that
      // takes on a loaded machine, it is not a frozen camera. Another source's end is a fault, left to its exit.
      if (!rules.file || !live(state.phase)) return none;
      return {
        state: { ...state, ended: true, watchdog: null },
        actions: disarm(state),
      };
    case 'exit':
      return live(state.phase) ? exited(rules, state, input) : none;
    case 'watchdog': {
      if (state.watchdog === null || (state.phase !== 'spawning' && state.phase !== 'running')) return none;
      return {
        state: { ...state, phase: 'stopping', watchdog: null },
        actions: [{ type: 'kill' }, emit({ type: 'frame-timeout', camera, seconds: state.watchdog })],
      };
    }
    case 'restart-due':
      return state.phase === 'backoff' ? spawn(rules, state) : none;
    case 'stop':
      return {
        state: { ...state, phase: 'done', watchdog: null, owed: [] },
        actions: [...(state.phase === 'backoff' ? [{ type: 'cancel-restart' } as const] : [...disarm(state), { type: 'kill' } as const]), ...missAll(rules, state, 'stopped')],
      };
    case 'trigger':
      return trigger(rules, state, input);
    case 'trigger-missed': {
      const owed = state.owed.find((t) => t.seq === input.seq);
      if (owed === undefined || !live(state.phase)) return none;
      const settled = settle(rules, state, input.seq);
      return { state: settled.state, actions: [...settled.watch, missed(rules, owed, input.reason, input.message)] };
    }
    case 'incomplete':
      return { state, actions: [emit({ type: 'frames-incomplete', camera, count: input.count })] };
  }
}
