/**
 * The line of the onboarding test and benchmark: two products the starting model is trained on (the dataset fixture's
 * stripes and checker, each camera a video of its good images), a new product (GStreamer's colour bars sliding across
 * the view, a picture the model never saw), the config of the service that inspects them, and the CLI as a user runs it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeConfig } from '../faults/service-process.js';
import { repoRoot } from '../setup/paths.js';

const bin = join(repoRoot, 'bin/uniad-edge.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `uniad-edge ARGS` as a child process; its exit code and output. */
export async function cli(cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd, env, timeout: timeoutMs, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * A lossless video (FFV1 in Matroska) of the PNGs `<dir>/000.png … <dir>/<count-1>.png` at 10 frames/s: a camera
 * looking at those parts, each frame the image to the pixel (H.264 would smooth the noise the model was trained on).
 */
export function videoOfImages(dir: string, count: number, out: string): string {
  execFileSync('gst-launch-1.0', ['-q', 'multifilesrc', `location=${join(dir, '%03d.png')}`, 'index=0', `stop-index=${count - 1}`, 'caps=image/png,framerate=10/1', '!', 'pngdec', '!', 'videoconvert', '!', 'video/x-raw,format=BGRx', '!', 'avenc_ffv1', '!', 'matroskamux', '!', 'filesink', `location=${out}`]);
  return out;
}

/** The new product: 320 × 240 colour bars sliding 6 pixels a frame, every frame a new picture. */
export function newProductVideo(frames: number, out: string): string {
  execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', `num-buffers=${frames}`, 'pattern=smpte', 'horizontal-speed=6', '!', 'video/x-raw,width=320,height=240,framerate=10/1', '!', 'x264enc', 'speed-preset=ultrafast', '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${out}`]);
  return out;
}

export const prefix = 'uniad/onboard';
export const operator = { username: 'op', password: 'op-secret', role: 'operator' as const };
export const viewer = { username: 'wall', password: 'wall-secret', role: 'viewer' as const };

export interface LineCamera {
  readonly id: string;
  readonly product: string;
  readonly source: string;
}

export interface LineOptions {
  readonly dir: string;
  readonly stateDir: string;
  readonly port: number;
  readonly model: string;
  readonly cameras: readonly LineCamera[];
  readonly shadow?: string;
}

/** Writes (or writes again, for a SIGHUP) the service's config `<dir>/line.yaml`; returns its path. */
export function writeLineConfig(o: LineOptions): string {
  return writeConfig(o.dir, 'line.yaml', {
    node: 'edge',
    stateDir: o.stateDir,
    cameras: o.cameras.map((c) => ({ id: c.id, line: 'line1', product: c.product, source: c.source, loop: true, fps: 10 })),
    model: { path: o.model, providers: ['cpu'], batchMaxSize: 2, batchMaxWaitMs: 10 },
    ...(o.shadow === undefined ? {} : { shadow: { path: o.shadow, providers: ['cpu'] } }),
    mqtt: { prefix, queue: { store: 'memory' } },
    embeddedBroker: { port: o.port, wsPort: 0, users: [operator, viewer] },
    dashboard: { enabled: false },
    registry: { probation: { seconds: 10 } },
  });
}

/** The part of a trained model's sidecar the onboarding checks: its calibrated thresholds and held-out results. */
export interface TrainedSidecar {
  readonly name: string;
  readonly version: string;
  readonly classes: readonly string[];
  readonly thresholds: Readonly<Record<string, number>>;
  readonly evaluation: { readonly heldOut: { readonly perClass: Readonly<Record<string, { image: number; pixel: number; images: number; defective: number }>> } };
}

export const readSidecar = (model: string): TrainedSidecar => JSON.parse(readFileSync(model.replace(/\.onnx$/, '.json'), 'utf8')) as TrainedSidecar;
