/**
 * Capture child ("adapter"): hosts ONE GStreamer pipeline and streams its frames to the parent.
 * A process of its own because gstreamer-superficial is a NAN addon that leaks per pipeline and cannot be
 * recovered in place after a source is lost (docs/platform.md): the parent recycles the whole process instead.
 *
 * In: the launch description in `UNIAD_CAPTURE_LAUNCH`. Out: frames on fd 3 (framing.ts), status by IPC,
 * the outcome as exit code (protocol.ts).
 */
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import type { AppSink, BusMessage, CapsFields, Pipeline } from 'gstreamer-superficial';
import { encodeFrame } from './framing.js';
import { regionSinks, sinkName } from './launch.js';
import { exitCodes, frameFd, launchEnv, type ChildMessage } from './protocol.js';

// A NAN addon: ESM cannot import it, require can.
const gst = createRequire(import.meta.url)('gstreamer-superficial') as typeof import('gstreamer-superficial');

const frames = new Socket({ fd: frameFd, readable: false, writable: true });
let pipeline: Pipeline | undefined;
/**
 * Looked up once: every `findChild` returns a new wrapper object that the addon never lets go of, so looking the
 * appsink up per frame grew this process's JS heap by ~20 KB a frame until it ran out of memory (measured).
 * One appsink, or one per region of a camera with several (launch.ts `regionsTail`): a frame is then one sample of
 * each, pulled in turn, written as one record each, back to back, in region order.
 */
let appsinks: AppSink[] = [];
/** The samples of the frame being pulled, one per appsink so far. */
let samples: Buffer[] = [];
let caps = { width: 0, height: 0 };

/**
 * Native calls that hold a libuv thread-pool thread until they call back. `process.exit` joins those threads, so
 * exiting while one is pending hangs for good: the process then neither exits nor runs its SIGTERM handler
 * (seen: orphaned children stuck in exit, their bus poll still waiting; docs/platform.md).
 */
let pulling = false;
let polling = false;
/** How long a stopped pipeline gets to give those calls back before this process kills itself instead. */
const exitGraceMs = 3000;

/** How this process ends, set once it starts ending. */
let outcome: { message: ChildMessage | undefined; code: number } | undefined;
let settling = false;
let exiting = false;

/** Sends a status message, then exits: `process.send` is asynchronous and would be lost by an immediate exit. */
function exitAfter(message: ChildMessage | undefined, code: number): void {
  if (message === undefined || !process.connected) process.exit(code);
  process.send!(message, undefined, {}, () => process.exit(code));
}

function exitWhenIdle(): void {
  if (!settling || pulling || polling || exiting) return;
  exiting = true;
  exitAfter(outcome!.message, outcome!.code);
}

/** The frames are out (or no longer wanted): exit once the stopped pipeline's native calls are back. */
function settle(): void {
  if (!settling) {
    settling = true;
    // A call that never comes back would keep this process (and its camera) forever.
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), exitGraceMs);
  }
  exitWhenIdle();
}

/** Stops the pipeline first: that makes a pending pull return null and the bus poll return its last message. */
function finish(message: ChildMessage | undefined, code: number): void {
  if (outcome !== undefined) return;
  outcome = { message, code };
  pipeline?.stop();
  if (code === exitCodes.endOfStream) frames.end(ended);
  else settle();
}

/**
 * The last frame is in the pipe: say so at once, not at the exit. On a loaded machine the stopped pipeline may keep
 * its native calls past the exit grace and this process then ends by SIGKILL; its parent must still see the end of
 * the file, not a crashed camera.
 */
function ended(): void {
  if (outcome?.code !== exitCodes.endOfStream || !process.connected) return settle();
  process.send!({ type: 'eos' } satisfies ChildMessage, undefined, {}, () => settle());
}

/** SIGTERM or the parent gone: also cuts short an end of stream still flushing its last frames to the parent. */
function terminate(): void {
  if (outcome === undefined) return finish(undefined, exitCodes.terminated);
  if (settling) return;
  outcome = { message: undefined, code: exitCodes.terminated };
  settle();
}

function fail(message: string): void {
  finish({ type: 'error', message }, exitCodes.failed);
}

function onSample(sample: Buffer | null, fields: CapsFields): void {
  pulling = false;
  if (outcome !== undefined) return exitWhenIdle();
  // Null only at end of stream (or when stopped, handled above). The bus eos may come earlier: it does not count.
  if (sample === null) return finish(undefined, exitCodes.endOfStream);
  const width = Number(fields.width);
  const height = Number(fields.height);
  // The first appsink's caps stand for the camera's (the others' follow from the config).
  if (samples.length === 0 && (width !== caps.width || height !== caps.height)) {
    caps = { width, height };
    process.send?.({ type: 'caps', width, height, format: String(fields.format), framerate: String(fields.framerate) } satisfies ChildMessage);
  }
  let packet: Buffer;
  try {
    packet = encodeFrame(sample, width, height);
  } catch (err) {
    return fail((err as Error).message);
  }
  samples.push(packet);
  if (samples.length < appsinks.length) return pull();
  const frame = samples.length === 1 ? samples[0]! : Buffer.concat(samples);
  samples = [];
  // Re-arm only once the pipe took the frame: a slow parent then holds the appsink, which drops (live source)
  // or holds back the decoder (file), instead of frames piling up in this process.
  if (frames.write(frame)) pull();
  else frames.once('drain', pull);
}

function pull(): void {
  if (outcome !== undefined || appsinks.length === 0) return;
  pulling = true;
  appsinks[samples.length]!.pull(onSample);
}

function onBus(message: BusMessage): void {
  const from = message.name ?? message._src_element_name ?? 'pipeline';
  if (outcome === undefined) {
    // "Internal data stream error" says nothing; the flow's reason in the debug text does (not-negotiated: the
    // source does not deliver the caps the description asks for, e.g. a camera of another size than configured).
    const reason = /reason ([a-z-]+)/.exec(String(message['debug'] ?? ''))?.[1];
    if (message.type === 'error') fail(`${message.message ?? 'unknown error'} (from ${from}${reason === undefined ? '' : `, reason ${reason}`})`);
    else if (message.type === 'warning') process.send?.({ type: 'warning', message: `${message.message ?? 'unknown warning'} (from ${from})` } satisfies ChildMessage);
  }
  // The addon polls again only while the pipeline is not stopped: after stop() this message was the last.
  if (outcome !== undefined) {
    polling = false;
    exitWhenIdle();
  }
}

function start(launch: string | undefined): void {
  if (!launch) return fail(`${launchEnv} is empty: the capture child must be started by captureCamera`);
  try {
    pipeline = new gst.Pipeline(launch);
  } catch (err) {
    return fail(`invalid pipeline: ${(err as Error).message}`);
  }
  // The addon answers undefined, not null, for a name it does not find.
  const find = (name: string) => pipeline!.findChild(name) ?? undefined;
  const single = find(sinkName);
  if (single !== undefined) appsinks = [single];
  else for (let found = find(`${sinkName}-0`), i = 1; found !== undefined; found = find(`${sinkName}-${i++}`)) appsinks.push(found);
  if (appsinks.length === 0) return fail(`the pipeline has no appsink named "${sinkName}" (or "${regionSinks(2).join('", "')}", ... for regions)`);
  // Not flushed at stop: the state changes it posts are what the pending bus poll returns with.
  pipeline.autoFlushBus = false;
  polling = true;
  pipeline.pollBus(onBus);
  pipeline.play();
  process.send?.({ type: 'started' } satisfies ChildMessage);
  // After play(): a pull on a pipeline that is not playing yet returns null at once.
  pull();
}

process.on('SIGTERM', terminate);
// The parent died or dropped us: nobody reads the frames any more, and the camera must be free for its successor.
process.on('disconnect', terminate);
frames.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'EPIPE' ? terminate() : finish(undefined, exitCodes.failed)));

// A parent that died while this process was still loading went before the 'disconnect' listener was there.
if (process.send !== undefined && !process.connected) terminate();
else start(process.env[launchEnv]);
