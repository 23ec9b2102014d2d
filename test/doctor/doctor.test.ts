import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vi } from 'vitest';
import { main } from '../../src/cli.js';
import { parseConfig } from '../../src/config.js';
import { doctor, installPrefix } from '../../src/doctor/doctor.js';
import type { Finding } from '../../src/doctor/findings.js';
import { formatFindings } from '../../src/doctor/findings.js';
import { writeEngineManifest } from '../../src/pipeline/engine-cache.js';
import { packageRoot } from '../../src/package-root.js';
import { freePort } from '../support/free-port.js';
import { startRtspServer } from '../support/rtsp.js';
import { testVideo } from '../setup/video.js';

/** Empty files at these paths under a new folder: library and plugin names are all doctor reads from them. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'doctor-root-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const lib = 'usr/lib/aarch64-linux-gnu';
const gstPlugins = {
  [`${lib}/gstreamer-1.0/libgstnvvideo4linux2.so`]: '',
  [`${lib}/gstreamer-1.0/libgstnvvidconv.so`]: '',
  [`${lib}/gstreamer-1.0/libgstnvarguscamerasrc.so`]: '',
};

/** What a JetPack 6.0 box (L4T 36.3) has: CUDA 12.2, cuDNN 8.9, TensorRT 8.6, NVIDIA GStreamer plugins. */
const jetpack60 = () =>
  tree({
    'etc/nv_tegra_release': '# R36 (release), REVISION: 3.0, GCID: 36191598, BOARD: generic, EABI: aarch64, DATE: Mon May  6 17:34:21 UTC 2024\n',
    'usr/local/cuda/lib64/libcudart.so.12.2.140': '',
    [`${lib}/libcudnn.so.8.9.4`]: '',
    [`${lib}/libnvinfer.so.8.6.2`]: '',
    [`${lib}/libnvinfer.so.8`]: '',
    ...gstPlugins,
  });

/** JetPack 6.1 (L4T 36.4.0): CUDA 12.6, cuDNN 9.3, TensorRT 10.3; `extra` adds files (an installed release). */
const jetpack61 = (extra: Record<string, string> = {}) =>
  tree({
    'etc/nv_tegra_release': '# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64, DATE: Fri Sep 13 04:36:44 UTC 2024\n',
    'usr/local/cuda/targets/aarch64-linux/lib/libcudart.so.12.6.68': '',
    [`${lib}/libcudnn.so.9.3.0`]: '',
    [`${lib}/libnvinfer.so.10.3.0`]: '',
    'proc/device-tree/model': 'NVIDIA Jetson Orin Nano Developer Kit\0',
    ...gstPlugins,
    ...extra,
  });

const byCheck = (findings: Finding[], check: string) => findings.filter((f) => f.check === check);

/** An installed Jetson build of onnxruntime-node 1.22.0 under opt/uniad-edge, with its record. */
function jetsonBuild(patched: boolean): Record<string, string> {
  const mod = `${installPrefix}/node_modules`;
  const native = `${mod}/onnxruntime-node/bin/napi-v6/linux/arm64`;
  return {
    [`${mod}/onnxruntime-node/package.json`]: JSON.stringify({ version: '1.22.0' }),
    [`${mod}/onnxruntime-common/package.json`]: JSON.stringify({ version: '1.22.0' }),
    [`${native}/onnxruntime_binding.node`]: '',
    [`${native}/libonnxruntime_providers_cuda.so`]: '',
    [`${native}/libonnxruntime_providers_tensorrt.so`]: '',
    [`${mod}/onnxruntime-node/uniad-edge-build.json`]: JSON.stringify({ onnxruntime: '1.22.0', jetpack: '6.1', l4t: '36.4.0', cuda: '12.6', cudnn: '9.3', tensorrt: '10.3', tensorrtOptions: patched }),
  };
}

describe('doctor on a JetPack 6.0 tree', () => {
  it('reports L4T 36.3 as JetPack 6.0 with its CUDA, cuDNN and TensorRT, and says no onnxruntime build is supported there', async () => {
    const findings = await doctor({ root: jetpack60() });
    expect(byCheck(findings, 'L4T/JetPack')).toEqual([expect.objectContaining({ status: 'missing', detail: expect.stringMatching(/^L4T 36\.3\.0 = JetPack 6\.0: no supported onnxruntime build \(TensorRT 8\.6/), fix: expect.stringMatching(/JetPack 6\.2/) })]);
    expect(byCheck(findings, 'CUDA')[0]).toMatchObject({ status: 'ok', detail: 'CUDA 12.2.140' });
    expect(byCheck(findings, 'cuDNN')[0]).toMatchObject({ status: 'ok', detail: 'cuDNN 8.9.4' });
    expect(byCheck(findings, 'TensorRT')[0]).toMatchObject({ status: 'ok', detail: 'TensorRT 8.6.2' });
    expect(byCheck(findings, 'NVMM GStreamer')[0]).toMatchObject({ status: 'ok' });
    expect(byCheck(findings, 'onnxruntime')[0]).toMatchObject({ status: 'missing', detail: expect.stringMatching(/not installed/), fix: 'bash deploy/jetson/build-onnxruntime.sh' });
  });
});

describe('doctor on a JetPack 6.1 tree', () => {
  it('reports JetPack 6.1, CUDA 12.6, cuDNN 9.3, TensorRT 10.3, and the missing Jetson build with its fix', async () => {
    const findings = await doctor({ root: jetpack61() });
    expect(byCheck(findings, 'L4T/JetPack')[0]).toMatchObject({ status: 'ok', detail: 'L4T 36.4.0 = JetPack 6.1 (onnxruntime 1.22.0 is built for it)' });
    expect(['CUDA', 'cuDNN', 'TensorRT'].map((c) => byCheck(findings, c)[0]!.detail)).toEqual(['CUDA 12.6.68', 'cuDNN 9.3.0', 'TensorRT 10.3.0']);
    expect(byCheck(findings, 'onnxruntime')[0]!.fix).toBe('bash deploy/jetson/build-onnxruntime.sh');
  });

  it('says what is missing when TensorRT or the NVIDIA GStreamer plugins are not installed', async () => {
    const root = jetpack61();
    const bare = tree({ 'etc/nv_tegra_release': '# R36 (release), REVISION: 4.0, GCID: 1, BOARD: generic, EABI: aarch64, DATE: x\n' });
    const findings = await doctor({ root: bare });
    expect(byCheck(findings, 'TensorRT')[0]).toMatchObject({ status: 'missing', detail: 'no libnvinfer.so.* found (JetPack 6.1 ships TensorRT 10.3)', fix: expect.stringMatching(/apt install nvidia-jetpack/) });
    expect(byCheck(findings, 'NVMM GStreamer')[0]).toMatchObject({ status: 'missing', fix: expect.stringMatching(/nvidia-l4t-gstreamer/) });
    expect(byCheck(await doctor({ root }), 'TensorRT')[0]!.status).toBe('ok');
  });

  it('accepts the patched Jetson build and refuses an unpatched one', async () => {
    const good = await doctor({ root: jetpack61(jetsonBuild(true)) });
    expect(byCheck(good, 'onnxruntime')).toEqual([expect.objectContaining({ status: 'ok', detail: expect.stringMatching(/onnxruntime-node 1\.22\.0 .* providers compiled in: cpu, cuda, tensorrt/) })]);
    expect(byCheck(good, 'onnxruntime TensorRT')[0]).toMatchObject({ status: 'ok', detail: 'Jetson build for JetPack 6.1 (TensorRT 10.3), TensorRT options patch applied' });
    const unpatched = await doctor({ root: jetpack61(jetsonBuild(false)) });
    expect(byCheck(unpatched, 'onnxruntime TensorRT')[0]).toMatchObject({ status: 'missing', detail: expect.stringMatching(/FP16 and the engine cache cannot reach TensorRT/) });
  });

  it('checks the engine cache against what runs now: absent, then valid, then stale when TensorRT changed', async () => {
    const root = jetpack61(jetsonBuild(true));
    const stateDir = join(root, 'var/lib/uniad-edge');
    const model = join(packageRoot, 'models', 'demo', 'uniad-demo.onnx');
    const config = parseConfig({ stateDir, cameras: [{ id: 'c1', line: 'l', product: 'p', source: 'test:' }], model: { path: model } });
    const cache = async () => byCheck(await doctor({ root, config }), 'engine cache')[0]!;
    expect(await cache()).toMatchObject({ status: 'warn', detail: expect.stringMatching(/no engine yet/), fix: expect.stringMatching(/uniad-edge check/) });
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const identity = {
      model: createHash('sha256').update(readFileSync(model)).digest('hex'),
      onnxruntime: '1.22.0',
      tensorrt: '10.3.0',
      gpu: 'NVIDIA Jetson Orin Nano Developer Kit',
      precision: 'fp16' as const,
      profile: 'image:1x224x224x3..image:8x224x224x3',
    };
    const engineDir = join(stateDir, 'engine-cache');
    writeEngineManifest(engineDir, identity);
    writeFileSync(join(engineDir, 'TensorrtExecutionProvider_TRTKernel_graph_1_0_0_fp16_sm87.engine'), '');
    expect(await cache()).toMatchObject({ status: 'ok' });
    writeEngineManifest(engineDir, { ...identity, tensorrt: '10.2.0' });
    expect(await cache()).toMatchObject({ status: 'warn', detail: expect.stringMatching(/stale \(TensorRT version 10\.2\.0 → 10\.3\.0\)/) });
  });
});

describe('doctor on this box', () => {
  it('says it is not a Jetson, lists the providers of the npm binding, and checks cameras, broker and state folder', async () => {
    const rtsp = await startRtspServer(testVideo.path);
    try {
      const closed = await freePort();
      const stateDir = mkdtempSync(join(tmpdir(), 'doctor-state-'));
      const config = parseConfig({
        stateDir,
        cameras: [
          { id: 'live', line: 'l', product: 'p', source: rtsp.url },
          { id: 'gone', line: 'l', product: 'p', source: `rtsp://127.0.0.1:${closed}/cam` },
          { id: 'file', line: 'l', product: 'p', source: testVideo.path },
          { id: 'usb', line: 'l', product: 'p', source: 'v4l2:///dev/video97' },
        ],
        model: { path: join(packageRoot, 'models', 'demo', 'uniad-demo.onnx') },
        mqtt: { url: `mqtt://127.0.0.1:${closed}` },
      });
      const findings = await doctor({ config });
      const text = formatFindings(findings);
      expect(byCheck(findings, 'L4T/JetPack')[0]).toMatchObject({ status: 'info', detail: expect.stringMatching(/not a Jetson/) });
      expect(byCheck(findings, 'onnxruntime')[0]).toMatchObject({ status: 'ok', detail: expect.stringMatching(/providers compiled in: cpu/) });
      expect(byCheck(findings, 'camera live')[0]).toMatchObject({ status: 'ok', detail: expect.stringMatching(/RTSP server answers \(RTSP\/1\.0 200 OK\)/) });
      expect(byCheck(findings, 'camera gone')[0]).toMatchObject({ status: 'missing', fix: expect.stringMatching(/camera is on/) });
      expect(byCheck(findings, 'camera file')[0]!.status).toBe('ok');
      expect(byCheck(findings, 'camera usb')[0]).toMatchObject({ status: 'missing', detail: '/dev/video97 does not exist' });
      expect(byCheck(findings, 'broker')[0]).toMatchObject({ status: 'missing', detail: expect.stringMatching(/ECONNREFUSED/) });
      expect(byCheck(findings, 'state folder')[0]).toMatchObject({ status: 'ok', detail: `${stateDir} is writable` });
      expect(byCheck(findings, 'engine cache')[0]).toMatchObject({ status: 'info', detail: expect.stringMatching(/no TensorRT/) });
      expect(text).toMatch(/^MISSING camera gone: .*\n {8}fix: /m);
    } finally {
      await rtsp.stop();
    }
  }, 30_000);
});

describe('uniad-edge doctor --root DIR', () => {
  it('prints one line a finding and exits 1 when something is missing, 0 when nothing is', async () => {
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    try {
      expect(await main(['doctor', '--root', jetpack60()])).toBe(1);
      expect(out.join('')).toMatch(/^MISSING L4T\/JetPack: L4T 36\.3\.0 = JetPack 6\.0/m);
      expect(await main(['doctor', '--root', jetpack61(jetsonBuild(true))])).toBe(0);
    } finally {
      write.mockRestore();
    }
  });
});
