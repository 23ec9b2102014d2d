import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseL4tRelease } from '../../src/platform/l4t.js';
import { compareVersions, librariesFromNames } from '../../src/platform/libraries.js';
import { bindingVersionIssues, readBinding } from '../../src/platform/onnxruntime-binding.js';
import { pinForL4t, readPins } from '../../src/platform/pins.js';

describe('L4T release file', () => {
  it('reads R36 REVISION 4.3 as 36.4.3 and REVISION 3.0 as 36.3.0', () => {
    expect(parseL4tRelease('# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64, DATE: Wed Jan  8 01:49:37 UTC 2025\n')).toBe('36.4.3');
    expect(parseL4tRelease('# R36 (release), REVISION: 3.0, GCID: 36191598, BOARD: generic, EABI: aarch64, DATE: Mon May  6 17:34:21 UTC 2024\n')).toBe('36.3.0');
    expect(parseL4tRelease('Debian GNU/Linux 12')).toBeUndefined();
  });
});

describe('library versions from file names', () => {
  it('takes the newest of each and ignores the unversioned link names', () => {
    expect(librariesFromNames(['libnvinfer.so', 'libnvinfer.so.10', 'libnvinfer.so.10.3.0', 'libcudnn.so.9.3.0', 'libcudart.so.12.6.68', 'libcudart.so.12.2.140'])).toEqual({ tensorrt: '10.3.0', cudnn: '9.3.0', cuda: '12.6.68' });
    expect(librariesFromNames(['libc.so.6'])).toEqual({});
  });

  it('compares versions numerically', () => {
    expect(compareVersions('10.10.0', '10.9.0')).toBe(1);
    expect(compareVersions('1.22', '1.22.0')).toBe(0);
    expect(compareVersions('1.21.1', '1.22.0')).toBe(-1);
  });
});

describe('the JetPack pin table (deploy/jetson/onnxruntime-pins.txt)', () => {
  const pins = readPins();
  it('pins onnxruntime for 6.1 and 6.2 and refuses 6.0 with the reason', () => {
    expect(pinForL4t(pins, '36.4.0')).toMatchObject({ jetpack: '6.1', tensorrt: '10.3', onnxruntime: '1.22.0' });
    expect(pinForL4t(pins, '36.4.3')).toMatchObject({ jetpack: '6.2', cuda: '12.6', cudnn: '9.3' });
    const jp60 = pinForL4t(pins, '36.3.0');
    expect(jp60).toMatchObject({ jetpack: '6.0', tensorrt: '8.6' });
    expect(jp60?.onnxruntime).toBeUndefined();
    expect(jp60?.note).toMatch(/upgrade to JetPack 6\.2/);
    expect(pinForL4t(pins, '35.4.1')).toBeUndefined();
  });
});

function nodeModules(node: string | undefined, common: string | undefined, libs: string[] = [], record?: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'binding-'));
  const native = join(dir, 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'arm64');
  mkdirSync(native, { recursive: true });
  if (node) writeFileSync(join(dir, 'onnxruntime-node', 'package.json'), JSON.stringify({ version: node }));
  if (common) {
    mkdirSync(join(dir, 'onnxruntime-common'));
    writeFileSync(join(dir, 'onnxruntime-common', 'package.json'), JSON.stringify({ version: common }));
  }
  for (const lib of libs) writeFileSync(join(native, lib), '');
  if (record) writeFileSync(join(dir, 'onnxruntime-node', 'uniad-edge-build.json'), JSON.stringify(record));
  return dir;
}

describe('the installed onnxruntime-node', () => {
  it('lists the providers its native folder carries', () => {
    const info = readBinding(nodeModules('1.22.0', '1.22.0', ['libonnxruntime.so.1', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_tensorrt.so']), 'arm64');
    expect(info.providers).toEqual(['cpu', 'cuda', 'tensorrt']);
    expect(readBinding(nodeModules('1.22.0', '1.22.0'), 'arm64').providers).toEqual(['cpu']);
  });

  it('has no version issue when binding, JavaScript API and build record agree', () => {
    const record = { onnxruntime: '1.22.0', jetpack: '6.2', l4t: '36.4.3', cuda: '12.6', cudnn: '9.3', tensorrt: '10.3', tensorrtOptions: true };
    expect(bindingVersionIssues(readBinding(nodeModules('1.22.0', '1.22.0', [], record), 'arm64'))).toEqual([]);
  });

  it('says when the JavaScript API is another release, the binding too old, or npm replaced the Jetson build', () => {
    const record = { onnxruntime: '1.22.0', jetpack: '6.2', l4t: '36.4.3', cuda: '12.6', cudnn: '9.3', tensorrt: '10.3', tensorrtOptions: true };
    expect(bindingVersionIssues(readBinding(nodeModules('1.22.0', '1.30.0', [], record), 'arm64'))).toEqual([
      expect.stringMatching(/onnxruntime-node 1\.22\.0 runs with onnxruntime-common 1\.30\.0/),
    ]);
    expect(bindingVersionIssues(readBinding(nodeModules('1.20.1', '1.20.1'), 'arm64'))).toEqual([expect.stringMatching(/older than 1\.22\.0/)]);
    expect(bindingVersionIssues(readBinding(nodeModules('1.30.0', '1.30.0', [], record), 'arm64'))).toEqual([expect.stringMatching(/recorded onnxruntime 1\.22\.0 but onnxruntime-node 1\.30\.0/)]);
    expect(bindingVersionIssues(readBinding(nodeModules(undefined, undefined), 'arm64'))).toEqual([expect.stringMatching(/not installed/)]);
  });

  it('reads the binding this project installed from npm as one release, new enough', () => {
    const info = readBinding(join(process.cwd(), 'node_modules'));
    expect(info.version).toBe(info.commonVersion);
    expect(bindingVersionIssues(info)).toEqual([]);
  });
});
