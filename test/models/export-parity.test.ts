/**
 * Export parity: a tiny random-weight UniAD exported by models/uniad/export.py must give, in onnxruntime-node,
 * the same `score` and `anomaly_map` as PyTorch, for batch 1 and batch 3 (the batch axis is dynamic). Two models: the
 * tiny preset, and a fused backbone (the MobileNetV2 on the image and on it upsampled 2x, a TF.js-graph MobileNetV3
 * stand-in, balanced taps) whose upsampling, pooling, TF "SAME" padding and tap scales must export too.
 *
 * Tolerance, per element: |ort - torch| <= 1e-4 * max(|torch|, 1e-2). Relative 1e-4 for every value of
 * meaningful size; the 1e-2 floor keeps near-zero map pixels from demanding more than float32 can give.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.js';

const SIZE = 64;
const BATCH = 3;

// Builds the model, exports it, and writes the input batch and PyTorch's outputs as raw little-endian files.
const PY = `
import json, sys, numpy as np, torch
torch.set_num_threads(2)
sys.path.insert(0, "models/tests")
from models.uniad.backbones.mobilenet_v3 import convert
from models.uniad.configs import get_preset
from models.uniad.export import export_onnx
from models.uniad.model import UniAD
from tfjs_package import write_package
out, kind = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
if kind == "tiny":
    model = UniAD(get_preset("tiny")).eval()
else:
    convert(write_package(out + "/package"), out + "/v3.pt")
    taps = ("mobilenet_v2:block_2_add", "mobilenet_v2:block_5_add", "mobilenet_v3:expanded_conv_5/add",
            "mobilenet_v2@2:block_5_add")
    model = UniAD(get_preset("tiny", backbone="fusion", backbone_taps=taps, balance_taps=True),
                  "mobilenet_v3=" + out + "/v3.pt")
    model.tap_scale.uniform_(0.5, 2.0)
    model.eval()
export_onnx(model, out + "/model.onnx", opset=17)
image = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (${BATCH}, ${SIZE}, ${SIZE}, 3), dtype=np.uint8))
with torch.no_grad():
    s3, m3 = model(image)
    s1, m1 = model(image[:1])
image.numpy().tofile(out + "/image.u8")
for name, t in {"score3": s3, "map3": m3, "score1": s1, "map1": m1}.items():
    t.numpy().astype("<f4").tofile(out + "/" + name + ".f32")
json.dump({"map_shape": list(m3.shape)}, open(out + "/meta.json", "w"))
`;

function readF32(path: string): Float32Array {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

function worstRelative(actual: Float32Array, expected: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i += 1) {
    const e = expected[i] ?? NaN;
    const err = Math.abs((actual[i] ?? NaN) - e) / Math.max(Math.abs(e), 1e-2);
    worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}

describe.each(['tiny', 'fused'])('UniAD ONNX export parity (onnxruntime-node vs PyTorch), %s model', (kind) => {
  let dir = '';
  let session: ort.InferenceSession;
  let image: Uint8Array;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-parity-'));
    execFileSync('/usr/bin/python3', ['-c', PY, dir, kind], { cwd: repoRoot, stdio: 'pipe', timeout: 120_000 });
    session = await ort.InferenceSession.create(join(dir, 'model.onnx'), { intraOpNumThreads: 2 });
    image = new Uint8Array(readFileSync(join(dir, 'image.u8')));
  }, 180_000);

  afterAll(async () => {
    await session?.release();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('declares the contract: uint8 image in, score and anomaly_map out', () => {
    expect(session.inputNames).toEqual(['image']);
    expect(session.outputNames).toEqual(['score', 'anomaly_map']);
  });

  for (const batch of [1, BATCH]) {
    it(`matches PyTorch within 1e-4 relative for batch ${batch}`, async () => {
      const input = new ort.Tensor('uint8', image.subarray(0, batch * SIZE * SIZE * 3), [batch, SIZE, SIZE, 3]);
      const out = await session.run({ image: input });
      const score = out.score;
      const map = out.anomaly_map;
      if (!score || !map) throw new Error('missing output');
      expect(score.type).toBe('float32');
      expect(map.type).toBe('float32');
      expect(score.dims).toEqual([batch]);
      expect(map.dims).toEqual([batch, 1, SIZE, SIZE]);
      const refScore = readF32(join(dir, `score${batch}.f32`));
      const refMap = readF32(join(dir, `map${batch}.f32`));
      expect(refScore.length).toBe(batch);
      const worstScore = worstRelative(score.data as Float32Array, refScore);
      const worstMap = worstRelative(map.data as Float32Array, refMap);
      console.log(`${kind}, batch ${batch}: worst relative error score ${worstScore.toExponential(2)}, map ${worstMap.toExponential(2)}`);
      expect(worstScore).toBeLessThanOrEqual(1e-4);
      expect(worstMap).toBeLessThanOrEqual(1e-4);
    });
  }
});
