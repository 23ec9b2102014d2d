import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.js';

const scripts = ['deploy/jetson', 'scripts'].flatMap((dir) =>
  readdirSync(join(packageRoot, dir))
    .filter((f) => f.endsWith('.sh'))
    .map((f) => `${dir}/${f}`),
);

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(cmd, args, { cwd: packageRoot, encoding: 'utf8', env, timeout: 60_000 });

describe('deploy scripts', () => {
  it('there are some', () => {
    expect(scripts).toContain('deploy/jetson/build-onnxruntime.sh');
  });

  it.each(scripts)('%s parses (bash -n) and passes shellcheck', (script) => {
    const syntax = run('bash', ['-n', script]);
    expect(syntax.stderr).toBe('');
    expect(syntax.status).toBe(0);
    // shellcheck comes from scripts/setup.sh's apt list; a missing one fails here rather than passing unchecked.
    const lint = run('shellcheck', [script]);
    expect(lint.error).toBeUndefined();
    expect(lint.stdout).toBe('');
    expect(lint.status).toBe(0);
  });
});

/** A system tree with the files the build script reads: the L4T release file and library names. */
function jetsonRoot(revision: string, libs: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'build-root-'));
  const files = ['etc/nv_tegra_release', 'usr/local/cuda/bin/nvcc', ...libs];
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), f === 'etc/nv_tegra_release' ? `# R36 (release), REVISION: ${revision}, GCID: 1, BOARD: generic, EABI: aarch64, DATE: x\n` : '');
  }
  chmodSync(join(root, 'usr/local/cuda/bin/nvcc'), 0o755);
  return root;
}

/** A cmake of a version the script accepts, first on PATH: the box here has Debian's 3.25. */
function toolsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'build-tools-'));
  writeFileSync(join(dir, 'cmake'), '#!/bin/sh\necho "cmake version 3.28.3"\n');
  chmodSync(join(dir, 'cmake'), 0o755);
  return dir;
}

const lib = 'usr/lib/aarch64-linux-gnu';
const jp61 = [`usr/local/cuda/lib64/libcudart.so.12.6.68`, `${lib}/libcudnn.so.9.3.0`, `${lib}/libnvinfer.so.10.3.0`];

function check(root: string) {
  const env = { ...process.env, UNIAD_ROOT: root, UNIAD_BUILD_DIR: mkdtempSync(join(tmpdir(), 'build-work-')), UNIAD_MIN_FREE_GB: '0', PATH: `${toolsDir()}:${process.env.PATH}` };
  return run('bash', ['deploy/jetson/build-onnxruntime.sh', '--check'], env);
}

describe('build-onnxruntime.sh --check', () => {
  it('on JetPack 6.1 with its CUDA, cuDNN and TensorRT: says what it would build', () => {
    const r = check(jetsonRoot('4.0', jp61));
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('L4T 36.4.0 = JetPack 6.1: building onnxruntime 1.22.0 (CUDA 12.6, cuDNN 9.3, TensorRT 10.3)');
    expect(r.stdout).toContain('TensorRT 10.3.0');
    expect(r.stdout).toContain('checks passed: would build onnxruntime 1.22.0');
    expect(r.status).toBe(0);
  });

  it('on JetPack 6.0: refuses before building, with the reason from the pin table', () => {
    const r = check(jetsonRoot('3.0', ['usr/local/cuda/lib64/libcudart.so.12.2.140', `${lib}/libcudnn.so.8.9.4`, `${lib}/libnvinfer.so.8.6.2`]));
    expect(r.stderr).toMatch(/JetPack 6\.0 \(L4T 36\.3\.0\): no supported onnxruntime build: TensorRT 8\.6 .*upgrade to JetPack 6\.2/);
    expect(r.status).toBe(1);
  });

  it('names a TensorRT that does not match the JetPack, and a missing cuDNN, each with its fix', () => {
    const r = check(jetsonRoot('4.3', [`usr/local/cuda/lib64/libcudart.so.12.6.68`, `${lib}/libnvinfer.so.10.7.0`]));
    expect(r.stderr).toContain('TensorRT 10.7.0, but JetPack 6.2 ships 10.3 (a mixed install); fix: sudo apt install --reinstall nvidia-jetpack');
    expect(r.stderr).toContain('cuDNN: no libcudnn.so.* found; fix: sudo apt install nvidia-jetpack');
    expect(r.status).toBe(1);
  });

  it('on a machine that is not a Jetson: says so', () => {
    const r = check(mkdtempSync(join(tmpdir(), 'build-root-')));
    expect(r.stderr).toMatch(/not a Jetson/);
    expect(r.status).toBe(1);
  });
});

describe('patch-node-tensorrt-options.py', () => {
  const fixture = join(packageRoot, 'test/fixtures/onnxruntime-binding/session_options_helper.cc');
  const patchScript = join(packageRoot, 'deploy/jetson/patch-node-tensorrt-options.py');
  const copy = () => {
    const file = join(mkdtempSync(join(tmpdir(), 'binding-src-')), 'session_options_helper.cc');
    copyFileSync(fixture, file);
    return file;
  };

  it('makes every other string property of a tensorrt entry a provider option, once', () => {
    const file = copy();
    const first = run('/usr/bin/python3', [patchScript, file]);
    expect(first.stdout).toContain('patched');
    const patched = readFileSync(file, 'utf8');
    // Declared per entry, collected where the entry object is in scope, applied after device_id on the TensorRT options.
    const declare = patched.indexOf('std::vector<std::string> trtKeys, trtValues;');
    const collect = patched.indexOf('trtKeys.push_back(key);');
    const apply = patched.indexOf('UpdateTensorRTProviderOptions(options, keys.data(), values.data(), keys.size())');
    expect(declare).toBeGreaterThan(patched.indexOf('int deviceId = 0;'));
    expect(collect).toBeGreaterThan(patched.indexOf('deviceId = obj.Get("deviceId")'));
    expect(collect).toBeLessThan(patched.indexOf('if (name == "cpu")'));
    expect(apply).toBeGreaterThan(patched.indexOf('CreateTensorRTProviderOptions(&options)'));
    expect(apply).toBeLessThan(patched.indexOf('AppendExecutionProvider_TensorRT_V2'));
    expect(patched.slice(patched.indexOf('CreateCUDAProviderOptions'), patched.indexOf('CreateTensorRTProviderOptions'))).not.toContain('trtKeys');
    const again = run('/usr/bin/python3', [patchScript, file]);
    expect(again.stdout).toContain('already patched');
    expect(readFileSync(file, 'utf8')).toBe(patched);
  });

  it('refuses a source without the anchors, naming the one it missed', () => {
    const file = copy();
    writeFileSync(file, readFileSync(file, 'utf8').replace('int deviceId = 0;', 'int device = 0;'));
    const r = run('/usr/bin/python3', [patchScript, file]);
    expect(r.stderr).toContain("anchor not found: 'int deviceId = 0;'");
    expect(r.status).toBe(1);
  });
});
