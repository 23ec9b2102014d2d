/**
 * The 5-megapixel line video of the tiling tests (test/fixtures/make_highres.py: concrete on a conveyor, thin
 * scratches in some frames), encoded as H.264 the way a line camera streams. Built once into test/.fixtures/highres/
 * by the suites that use it; rebuilt only when the generator script changes (its hash is stamped).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fixturesDir, repoRoot } from './paths.js';

const run = promisify(execFile);
const script = join(repoRoot, 'test/fixtures/make_highres.py');
const dir = join(fixturesDir, 'highres');

export interface HighresFrames {
  readonly width: number;
  readonly height: number;
  readonly scratch: { readonly angle: number; readonly length: number; readonly width: number };
  readonly frames: readonly { readonly offset: number; readonly scratch: { readonly x: number; readonly y: number; readonly where: string } | null }[];
}

export const highres = {
  dir,
  video: join(dir, 'line-2448x2048.mp4'),
  /** Frame `i` as rendered, lossless. */
  png: (i: number) => join(dir, `frame-${String(i).padStart(2, '0')}.png`),
  frames: (): HighresFrames => JSON.parse(readFileSync(join(dir, 'frames.json'), 'utf8')) as HighresFrames,
};

/** Renders the frames and encodes the video, unless the stamp says they are there for this script. */
export async function buildHighres(): Promise<void> {
  const stamp = join(dir, 'stamp');
  const hash = createHash('sha256').update(readFileSync(script)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash && existsSync(highres.video)) return;
  rmSync(dir, { recursive: true, force: true });
  await run('/usr/bin/python3', [script, '--out', dir], { cwd: repoRoot });
  const partial = `${highres.video}.${process.pid}.partial`;
  // H.264 at constant quantizer 14, 4:2:0 like a camera's stream (37 dB PSNR here, 6 MB): a 3 px scratch survives it.
  await run('gst-launch-1.0', [
    '-q', 'multifilesrc', `location=${join(dir, 'frame-%02d.png')}`, 'index=0', 'caps=image/png,framerate=5/1',
    '!', 'pngdec', '!', 'videoconvert', '!', 'video/x-raw,format=I420',
    '!', 'x264enc', 'pass=quant', 'quantizer=14', 'speed-preset=ultrafast', 'key-int-max=1',
    '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${partial}`,
  ]);
  renameSync(partial, highres.video);
  writeFileSync(stamp, hash);
}
