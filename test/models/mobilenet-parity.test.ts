/**
 * Proves the PyTorch port of nsfwjs's MobileNetV2 (models/uniad/backbones/mobilenet_v2.py, weights converted by
 * models/uniad/backbones/nsfwjs.py) against TensorFlow.js running the package's own model files.
 *
 * One deterministic 224x224 RGB uint8 image goes through both. TF.js reads the activations of named Keras layers
 * (a sub-model whose outputs are those layers); /usr/bin/python3 runs the port on the same bytes, passed through a
 * temp file, once as the full network tapped at the same layers and once as the default, truncated backbone,
 * which it also exports to ONNX (normalize inside) for onnxruntime-node to run on the raw uint8 image.
 *
 * Error per layer: max |port - tfjs| / max |tfjs| over the whole activation (NHWC), i.e. the worst elementwise
 * difference measured against the layer's dynamic range. It must be <= 1e-3. The reference is never near zero
 * as a whole (asserted), so the ratio cannot hide behind a tiny denominator.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.js';

const SIZE = 224;
const TOLERANCE = 1e-3;
const MODEL_DIR = join(repoRoot, 'node_modules/nsfwjs/dist/models/mobilenet_v2');
// Strides 2..32, residual adds, every default tap, the last feature map and the final softmax (deepest layer).
const LAYERS = [
  'Conv1_relu',
  'block_1_expand_relu',
  'block_2_add',
  'block_3_expand_relu',
  'block_5_add',
  'block_6_expand_relu',
  'block_12_add',
  'block_13_expand_relu',
  'block_16_project_BN',
  'out_relu',
  'dense_3',
];

const PORT = `
import json, sys
import numpy as np, torch
from models.uniad.backbones.mobilenet_v2 import MobileNetV2
from models.uniad.backbones.nsfwjs import ensure_weights
image, out, *layers = sys.argv[1:]
torch.set_num_threads(1)
x = torch.from_numpy(np.fromfile(image, np.uint8).reshape(1, ${SIZE}, ${SIZE}, 3))
weights = ensure_weights()
def dump(model, names, prefix):
    with torch.no_grad():
        ys = model(model.normalize(x))
    for name, y in zip(names, ys):
        (y.permute(0, 2, 3, 1) if y.dim() == 4 else y).contiguous().numpy().astype('<f4').tofile(f'{out}/{prefix}{name}.f32')
dump(MobileNetV2(taps=layers, weights=weights).eval(), layers, 'full_')
default = MobileNetV2(weights=weights).eval()
dump(default, default.taps, 'default_')
class Exported(torch.nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
    def forward(self, image):
        return tuple(self.backbone(self.backbone.normalize(image)))
torch.onnx.export(Exported(default), torch.zeros(1, ${SIZE}, ${SIZE}, 3, dtype=torch.uint8), f'{out}/backbone.onnx',
                  opset_version=17, input_names=['image'], output_names=default.taps,
                  dynamic_axes={n: {0: 'batch'} for n in ['image', *default.taps]})
print(json.dumps({'taps': default.taps, 'channels': default.out_channels, 'strides': default.out_strides,
                  'built': list(default.layers.keys())[-1]}))
`;

/** Smooth shading, hard-edged shapes, a fine texture and seeded noise: photo-like statistics, fully deterministic. */
function testImage(): Uint8Array {
  let seed = 0x2545f491;
  const rand = (): number => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const img = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const disc = (x - 150) ** 2 + (y - 80) ** 2 < 45 ** 2;
      const box = x > 30 && x < 110 && y > 120 && y < 200;
      const weave = 18 * Math.sin(x * 0.9) * Math.sin(y * 0.7);
      const base = [
        110 + 70 * Math.sin(x / 23) + 40 * Math.cos(y / 31),
        90 + 60 * Math.cos((x + y) / 37),
        130 + 50 * Math.sin(y / 19 - x / 41),
      ];
      for (let c = 0; c < 3; c++) {
        let v = (base[c] ?? 0) + weave + 24 * (rand() - 0.5);
        if (disc) v = 0.35 * v + [200, 60, 40][c]!;
        if (box) v = 0.5 * v + [20, 90, 150][c]!;
        img[(y * SIZE + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return img;
}

async function tfjsActivations(image: Uint8Array, layers: string[]): Promise<Map<string, Float32Array>> {
  // The package's browserify bundles are CommonJS: {modelTopology, weightsManifest} and one base64 string.
  const require = createRequire(import.meta.url);
  const model = require(join(MODEL_DIR, 'model.min.js')) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const shard = require(join(MODEL_DIR, 'group1-shard1of1.min.js')) as string;
  const bytes = Buffer.from(shard, 'base64');
  const net = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: model.modelTopology,
      weightSpecs: model.weightsManifest[0]!.weights,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    }),
  );
  const probe = tf.model({
    inputs: net.inputs,
    outputs: layers.map((name) => net.getLayer(name).output as tf.SymbolicTensor),
  });
  const input = tf.tidy(() => tf.tensor4d(image, [1, SIZE, SIZE, 3], 'int32').toFloat().div(255));
  const outputs = probe.predict(input) as tf.Tensor[];
  const result = new Map(layers.map((name, i) => [name, outputs[i]!.dataSync() as Float32Array]));
  tf.dispose([input, ...outputs]);
  net.dispose();
  return result;
}

function relativeError(port: Float32Array, ref: Float32Array): { err: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(port[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return { err: diff / scale, scale };
}

function nchwToNhwc(x: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[i * c + k] = x[k * h * w + i]!;
  return out;
}

function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

describe('MobileNetV2 port (PyTorch) vs nsfwjs in TensorFlow.js', () => {
  let dir: string;
  let image: Uint8Array;
  let ref: Map<string, Float32Array>;
  let defaults: { taps: string[]; channels: number[]; strides: number[]; built: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mnv2-parity-'));
    image = testImage();
    writeFileSync(join(dir, 'image.u8'), image);
    const stdout = execFileSync('/usr/bin/python3', ['-c', PORT, join(dir, 'image.u8'), dir, ...LAYERS], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    defaults = JSON.parse(stdout.trim().split('\n').pop()!);
    ref = await tfjsActivations(image, [...new Set([...LAYERS, ...defaults.taps])]);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('should match every probed layer, up to the final softmax, within 1e-3 of the layer max', () => {
    const rows = LAYERS.map((name) => {
      const port = readF32(join(dir, `full_${name}.f32`));
      const tfjs = ref.get(name)!;
      expect(port.length, name).toBe(tfjs.length);
      return { name, elements: tfjs.length, ...relativeError(port, tfjs) };
    });
    console.table(rows.map((r) => ({ ...r, err: r.err.toExponential(2), scale: r.scale.toPrecision(4) })));
    for (const r of rows) {
      expect(r.scale, `${r.name} reference is all ~0`).toBeGreaterThan(1e-2);
      expect(r.err, r.name).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('should match with the default taps, stopping the network at the deepest one', () => {
    expect(defaults.taps).toEqual(['block_3_expand_relu', 'block_6_expand_relu', 'block_13_expand_relu']);
    expect(defaults.channels).toEqual([144, 192, 576]);
    expect(defaults.strides).toEqual([4, 8, 16]);
    expect(defaults.built).toBe('block_13_expand_relu');
    defaults.taps.forEach((name, i) => {
      const port = readF32(join(dir, `default_${name}.f32`));
      const size = SIZE / defaults.strides[i]!;
      expect(port.length, name).toBe(size * size * defaults.channels[i]!);
      const { err } = relativeError(port, ref.get(name)!);
      expect(err, name).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it('should match after ONNX export, run by onnxruntime-node on the uint8 NHWC image', async () => {
    const session = await ort.InferenceSession.create(join(dir, 'backbone.onnx'));
    const outputs = await session.run({ image: new ort.Tensor('uint8', image, [1, SIZE, SIZE, 3]) });
    for (const name of defaults.taps) {
      const [, c, h, w] = outputs[name]!.dims as number[];
      const { err } = relativeError(nchwToNhwc(outputs[name]!.data as Float32Array, c!, h!, w!), ref.get(name)!);
      console.log(`onnxruntime ${name}: ${err.toExponential(2)}`);
      expect(err, name).toBeLessThanOrEqual(TOLERANCE);
    }
    await session.release();
  });
});
