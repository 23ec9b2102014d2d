import { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { runDiffs, signatureDiffs, type ModelSignature } from '../../src/pipeline/contract.js';
import { loadSidecar } from '../../src/pipeline/sidecar.js';
import { tinyModels } from '../setup/tiny-model.js';

const sidecar = loadSidecar(tinyModels.ok);

/** The signature onnxruntime-node 1.30 declares for a model: inputMetadata / outputMetadata of a real CPU session. */
async function signatureOf(path: string): Promise<ModelSignature> {
  const session = await InferenceSession.create(path, { executionProviders: ['cpu'] });
  const sig = { inputs: session.inputMetadata, outputs: session.outputMetadata };
  await session.release();
  return sig;
}

describe('model contract', () => {
  it('finds no difference in the tiny contract model (symbolic batch dimension "N")', async () => {
    const sig = await signatureOf(tinyModels.ok);
    expect(sig.inputs[0]).toMatchObject({ name: 'image', type: 'uint8', shape: ['N', 64, 64, 3] });
    expect(signatureDiffs(sig, sidecar)).toEqual([]);
  });

  it.each([
    ['floatInput', /input "image" is float32, expected uint8/],
    ['nchw', /input "image" has shape \[N,3,64,64\], expected NHWC \[N,H,W,3\].*looks like NCHW/],
    ['noAnomalyMap', /no output "anomaly_map" \(outputs: "score"\)/],
    ['fixedBatch', /input "image" batch dimension is fixed at 1, expected dynamic/],
  ] as const)('names what differs in the %s variant', async (variant, message) => {
    const diffs = signatureDiffs(await signatureOf(tinyModels[variant]), sidecar);
    expect(diffs.join('; ')).toMatch(message);
  });

  it('names an input size that differs from the sidecar', async () => {
    const diffs = signatureDiffs(await signatureOf(tinyModels.sidecarSize), loadSidecar(tinyModels.sidecarSize));
    expect(diffs).toContain(`input "image" height is 64, the sidecar's input.height is 128`);
    expect(diffs).toContain(`input "image" width is 64, the sidecar's input.width is 128`);
  });

  it('accepts dynamic height and width, and an output whose shape is not declared', () => {
    const sig: ModelSignature = {
      inputs: [{ name: 'image', isTensor: true, type: 'uint8', shape: ['batch', 'h', 'w', 3] }],
      outputs: [
        { name: 'score', isTensor: true, type: 'float32', shape: [] },
        { name: 'anomaly_map', isTensor: true, type: 'float32', shape: [-1, 1, 'h', 'w'] },
      ],
    };
    expect(signatureDiffs(sig, sidecar)).toEqual([]);
  });

  it('names a missing input, extra inputs and outputs of the wrong type or rank', () => {
    const sig: ModelSignature = {
      inputs: [{ name: 'input.1', isTensor: true, type: 'uint8', shape: ['N', 64, 64, 3] }],
      outputs: [
        { name: 'score', isTensor: true, type: 'float16', shape: ['N', 1] },
        { name: 'anomaly_map', isTensor: true, type: 'float32', shape: ['N', 3, 64, 64] },
      ],
    };
    expect(signatureDiffs(sig, sidecar)).toEqual([
      'no input "image" (inputs: "input.1")',
      'extra inputs "input.1": the contract has one input, "image"',
      'output "score" is float16, expected float32',
      'output "score" has shape [N,1], expected [N]',
      'output "anomaly_map" has 3 channels, expected 1 [N,1,H,W]',
    ]);
  });

  it('checks the outputs of an actual run against the batch size and the sidecar', () => {
    const ok = { score: { type: 'float32', dims: [2] }, anomaly_map: { type: 'float32', dims: [2, 1, 64, 64] } };
    expect(runDiffs(ok, 2, sidecar)).toEqual([]);
    expect(runDiffs({ ...ok, score: { type: 'float32', dims: [1] } }, 2, sidecar)).toEqual([
      'a run on 2 frames returned "score" as float32 [1], expected float32 [2]',
    ]);
    expect(runDiffs({ score: ok.score }, 2, sidecar)).toEqual(['a run on 2 frames returned no "anomaly_map"']);
  });
});
