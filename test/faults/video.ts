/**
 * H.264 MP4 videos of a chosen length for fault tests (the shared 60-frame test video lasts 2 s: too short to
 * stop a server in the middle of it). Encoded once per test file into a temp folder.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Encodes `frames` frames of a moving ball at `fps` (320x240) into `dir`; returns the file's path. */
export async function encodeVideo(dir: string, frames: number, fps = 30): Promise<string> {
  const path = join(dir, `ball-${frames}f-${fps}fps.mp4`);
  await promisify(execFile)('gst-launch-1.0', [
    '-q',
    'videotestsrc', `num-buffers=${frames}`, 'pattern=ball',
    '!', `video/x-raw,width=320,height=240,framerate=${fps}/1`,
    '!', 'x264enc', 'speed-preset=ultrafast', 'key-int-max=15',
    '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${path}`,
  ]);
  return path;
}
