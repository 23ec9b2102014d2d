/**
 * Item 8 of issue 9: a corrupt file decoded 720 of its 892 frames and nothing said so; GStreamer's decoder drops
 * frames it cannot decode without a word on the bus. Now the capture compares what came out of a file with its
 * sample table: the real service process logs the loss, counts it and says `degraded` naming the camera, while a
 * sound file beside it reports nothing; every frame that did come out has its verdict at an independent subscriber.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videoSampleCount } from '../../src/sources/mp4-samples.js';
import type { Verdict } from '../../src/types.js';
import { testVideo } from '../setup/video.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe } from '../support/subscriber.js';
import { startServiceProcess, writeConfig } from './service-process.js';

interface Status {
  readonly state: string;
  readonly causes?: { code: string; message: string }[];
}

describe('silent frame loss in a damaged file, service process', () => {
  let dir: string;
  let damaged: string;
  const frames = 300;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-frame-loss-'));
    const sound = join(dir, 'sound.mp4');
    execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', `num-buffers=${frames}`, 'pattern=ball', '!', 'video/x-raw,width=320,height=240,framerate=30/1', '!', 'x264enc', 'speed-preset=ultrafast', 'key-int-max=30', '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${sound}`]);
    // garbage over a sixth of the file, a third of the way in (media data; the sample table at the end stays intact)
    const bytes = readFileSync(sound);
    let x = 1;
    for (let i = Math.floor(bytes.length / 3); i < Math.floor(bytes.length / 2); i++) bytes[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    damaged = join(dir, 'damaged.mp4');
    writeFileSync(damaged, bytes);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should read the frame count of an MP4 from its sample table', () => {
    expect(videoSampleCount(testVideo.path)).toBe(testVideo.frames);
    expect(videoSampleCount(damaged)).toBe(frames);
    expect(videoSampleCount(join(dir, '..'))).toBeUndefined();
  });

  it('should log, count and report the frames a decoder lost, and decide every frame it delivered', async () => {
    const svc = startServiceProcess(
      writeConfig(dir, 'loss.yaml', {
        node: 'loss',
        cameras: [
          { id: 'damaged', line: 'line1', product: 'bolt', source: damaged },
          { id: 'sound', line: 'line1', product: 'bolt', source: testVideo.path },
        ],
        model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
        mqtt: { queue: { store: 'memory' } },
        embeddedBroker: { port: 0, wsPort: 0 },
        dashboard: { enabled: false },
      }),
      dir,
    );
    const { url } = await svc.waitForLog('embedded broker listening');
    const sub = await subscribe(url as string, ['uniad/site/status/loss', 'uniad/site/line1/+/verdict']);
    const exit = await svc.exited; // files without loop: the service stops when both ended
    await sub.until(() => sub.json<Status>('status/loss').some((s) => s.state === 'offline'), 'the retained status offline after the stop');

    const lostLog = svc.logs.find((l) => l.msg === 'camera source lost frames: the decoder delivered fewer than the file holds (damaged file?)');
    const stopped = svc.logs.find((l) => l.msg === 'stopped')!;
    const verdicts = sub.json<Verdict>('verdict');
    const ids = (camera: string) => new Set(verdicts.filter((v) => v.camera === camera).map((v) => v.id));
    const degraded = sub.json<Status>('status/loss').find((s) => s.state === 'degraded');
    console.log(`frame loss: ${JSON.stringify(lostLog)}; verdicts damaged ${ids('damaged').size}, sound ${ids('sound').size}; framesLost ${JSON.stringify(stopped['framesLost'])}`);

    expect(exit.code).toBe(0);
    expect(lostLog).toMatchObject({ level: 'warn', camera: 'damaged', expected: frames });
    const got = lostLog!['got'] as number;
    expect(got).toBeLessThan(frames);
    expect(ids('damaged').size).toBe(got); // every frame that came out was decided
    expect(ids('sound').size).toBe(testVideo.frames);
    expect(stopped['framesLost']).toEqual({ damaged: frames - got });
    expect(svc.logs.filter((l) => l.msg.startsWith('camera source lost frames')).map((l) => l['camera'])).toEqual(['damaged']);
    expect(degraded?.causes).toEqual([
      { code: 'SOURCE_FRAMES_LOST', message: `camera damaged: the decoder delivered ${got} of the ${frames} frames its file holds; ${frames - got} parts were never inspected (the file is damaged: re-record or re-encode it)` },
    ]);
    await sub.close();
  });
});
