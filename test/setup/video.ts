/**
 * The H.264 MP4 test video: a moving ball, a known number of frames, so a test can count that none was lost.
 */
import { execFile } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fixturesDir } from './paths.js';

export const testVideo = {
  path: join(fixturesDir, 'ball-320x240-60f.mp4'),
  frames: 60,
  width: 320,
  height: 240,
  fps: 30,
} as const;

/** Encodes the test video once; later runs find it and return at once. */
export async function buildTestVideo(): Promise<void> {
  if (existsSync(testVideo.path)) return;
  // Encode to a temporary name and rename: an interrupted run must not leave a truncated file that later runs trust.
  const partial = `${testVideo.path}.${process.pid}.partial`;
  try {
    await promisify(execFile)('gst-launch-1.0', [
      '-q',
      'videotestsrc', `num-buffers=${testVideo.frames}`, 'pattern=ball',
      '!', `video/x-raw,width=${testVideo.width},height=${testVideo.height},framerate=${testVideo.fps}/1`,
      '!', 'x264enc', 'speed-preset=ultrafast',
      '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${partial}`,
    ]);
    renameSync(partial, testVideo.path);
  } finally {
    rmSync(partial, { force: true });
  }
}
