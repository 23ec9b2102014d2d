/**
 * `uniad-edge calibrate` as a user runs it, on the tiny contract model, whose score is known in closed form
 * (test/pipeline/frames.ts): a grey image of level g scores |g/255 - 0.5| * 2.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { falseRejectThreshold } from '../../src/calibrate/quantile.js';
import { readPngText } from '../../src/images/png-text.js';
import { loadThresholdsFile } from '../../src/pipeline/thresholds-file.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';

const bin = join(repoRoot, 'bin/uniad-edge.js');
const dir = mkdtempSync(join(tmpdir(), 'uniad-calibrate-'));

/** A 128x128 grey PNG: twice the tiny model's input, so it is scaled (not bordered) on the way in. */
function grey(path: string, level: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const png = new PNG({ width: 128, height: 128 });
  for (let i = 0; i < 128 * 128; i++) png.data.set([level, level, level, 255], i * 4);
  writeFileSync(path, PNG.sync.write(png));
}
const score = (level: number) => Math.abs(level / 255 - 0.5) * 2;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: dir, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('uniad-edge calibrate', () => {
  it('should write per-product and per-camera thresholds for the target, recall and best F1, a report and a plot', async () => {
    const normal: number[] = [];
    for (let i = 0; i < 100; i++) {
      grey(join(dir, 'images/bolt', `${String(i).padStart(3, '0')}.png`), 128 + i);
      normal.push(score(128 + i));
    }
    const camA: number[] = [];
    for (let i = 0; i < 10; i++) {
      grey(join(dir, 'images/bolt/camA', `${i}.png`), 140 + 2 * i);
      camA.push(score(140 + 2 * i));
    }
    for (let i = 0; i < 8; i++) grey(join(dir, 'defects/bolt/scratch', `${i}.png`), 240 + i);
    writeFileSync(join(dir, 'images/bolt/notes.txt'), 'not an image: ignored');

    const out = join(dir, 'out/thresholds.json');
    const r = await cli('calibrate', '--model', tinyModels.ok, '--images', join(dir, 'images'), '--defects', join(dir, 'defects'), '--target-false-reject', '0.05', '--out', out, '--providers', 'cpu');
    expect(r.stderr).toMatch(/\] 118\/118 100 %/); // the progress bar reached the end
    expect(r.code).toBe(0);

    const file = loadThresholdsFile(out);
    expect(file.model).toBe('tiny@1.0.0');
    expect(file.targetFalseReject).toBe(0.05);
    // Scores come back as float32; the thresholds follow from them.
    expect(file.products['bolt']).toBeCloseTo(falseRejectThreshold([...normal, ...camA], 0.05), 6);
    expect(file.cameras['camA']!['bolt']).toBeCloseTo(falseRejectThreshold(camA, 0.05), 6);

    // 10 images cannot support 5 %: said on stdout, in the log and in the report.
    expect(r.stdout).toMatch(/bolt\/camA: threshold .* from 10 normal images \(too few for the target/);
    expect(r.stderr).toMatch(/too few normal images/);
    const report = readFileSync(join(dir, 'out/thresholds.md'), 'utf8');
    expect(report).toMatch(/\| bolt \| all \| 110 \| [\d.]+ \| 4\.55 % \| 8 \| 100\.00 % \|/); // 5 of 110 rejected
    expect(report).toMatch(/⚠ bolt \/ camA: 10 normal images cannot support/);
    expect(report).toMatch(/F1 1\.000/); // the defects (>= 240) are separable from every normal image (<= 227)

    const plot = join(dir, 'out/thresholds-bolt.png');
    expect(existsSync(plot)).toBe(true);
    const png = PNG.sync.read(readFileSync(plot));
    expect([png.width, png.height]).toEqual([640, 200]);
    const [lo, hi] = readPngText(readFileSync(plot))['uniad-x-range']!.split(' ').map(Number);
    expect(lo).toBeLessThan(score(128));
    expect(hi).toBeGreaterThan(score(247));
  });

  it('should refuse a missing option, a bad rate and a folder without product images, exit 2, and say what to fix', async () => {
    const base = ['--model', tinyModels.ok, '--out', join(dir, 'x.json')];
    const noImages = await cli('calibrate', ...base, '--target-false-reject', '0.01');
    expect(noImages.code).toBe(2);
    expect(noImages.stderr).toMatch(/"calibrate" needs --images DIR/);
    const badRate = await cli('calibrate', ...base, '--images', join(dir, 'images'), '--target-false-reject', '5');
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toMatch(/--target-false-reject must be a rate in \(0, 1\).*got 5/);
    mkdirSync(join(dir, 'empty/bolt'), { recursive: true });
    const empty = await cli('calibrate', ...base, '--images', join(dir, 'empty'), '--target-false-reject', '0.01');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/has no <product>\/\*\.png/);
  });
});
