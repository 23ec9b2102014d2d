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
import { sinkName } from './launch.js';
import { exitCodes, frameFd, launchEnv, type ChildMessage } from './protocol.js';

// A NAN addon: ESM cannot import it, require can.
const gst = createRequire(import.meta.url)('gstreamer-superficial') as typeof import('gstreamer-superficial');

const frames = new Socket({ fd: frameFd, readable: false, writable: true });
let pipeline: Pipeline | undefined;
/**
 * Looked up once: every `findChild` returns a new wrapper object that the addon never lets go of, so looking the
 * appsink up per frame grew this process's JS heap by ~20 KB a frame until it ran out of memory (measured).
 */
let appsink: AppSink | undefined;
let finishing = false;
let caps = { width: 0, height: 0 };

/** Sends a status message, then exits: `process.send` is asynchronous and would be lost by an immediate exit. */
function exitAfter(message: ChildMessage | undefined, code: number): void {
  if (message === undefined || !process.connected) process.exit(code);
  process.send!(message, undefined, {}, () => process.exit(code));
}

/** Stops the pipeline first: a pending pull keeps `process.exit` from returning (docs/platform.md). */
function finish(message: ChildMessage | undefined, code: number): void {
  if (finishing) return;
  finishing = true;
  pipeline?.stop();
  if (code === exitCodes.endOfStream) frames.end(() => exitAfter(message, code));
  else exitAfter(message, code);
}

function fail(message: string): void {
  finish({ type: 'error', message }, exitCodes.failed);
}

function onSample(sample: Buffer | null, fields: CapsFields): void {
  if (finishing) return;
  // Null only at end of stream (or when stopped, handled above). The bus eos may come earlier: it does not count.
  if (sample === null) return finish({ type: 'eos' }, exitCodes.endOfStream);
  const width = Number(fields.width);
  const height = Number(fields.height);
  if (width !== caps.width || height !== caps.height) {
    caps = { width, height };
    process.send?.({ type: 'caps', width, height, format: String(fields.format), framerate: String(fields.framerate) } satisfies ChildMessage);
  }
  let packet: Buffer;
  try {
    packet = encodeFrame(sample, width, height);
  } catch (err) {
    return fail((err as Error).message);
  }
  // Re-arm only once the pipe took the frame: a slow parent then holds the appsink, which drops (live source)
  // or holds back the decoder (file), instead of frames piling up in this process.
  if (frames.write(packet)) pull();
  else frames.once('drain', pull);
}

function pull(): void {
  appsink?.pull(onSample);
}

function onBus(message: BusMessage): void {
  const from = message.name ?? message._src_element_name ?? 'pipeline';
  if (message.type === 'error') fail(`${message.message ?? 'unknown error'} (from ${from})`);
  else if (message.type === 'warning') process.send?.({ type: 'warning', message: `${message.message ?? 'unknown warning'} (from ${from})` } satisfies ChildMessage);
}

function start(launch: string | undefined): void {
  if (!launch) return fail(`${launchEnv} is empty: the capture child must be started by captureCamera`);
  try {
    pipeline = new gst.Pipeline(launch);
  } catch (err) {
    return fail(`invalid pipeline: ${(err as Error).message}`);
  }
  appsink = pipeline.findChild(sinkName) ?? undefined;
  if (appsink === undefined) return fail(`the pipeline has no appsink named "${sinkName}"`);
  pipeline.pollBus(onBus);
  pipeline.play();
  process.send?.({ type: 'started' } satisfies ChildMessage);
  // After play(): a pull on a pipeline that is not playing yet returns null at once.
  pull();
}

process.on('SIGTERM', () => finish(undefined, exitCodes.terminated));
// The parent died or dropped us: nobody reads the frames any more.
process.on('disconnect', () => finish(undefined, exitCodes.terminated));
frames.on('error', (err) => finish(undefined, (err as NodeJS.ErrnoException).code === 'EPIPE' ? exitCodes.terminated : exitCodes.failed));

start(process.env[launchEnv]);
