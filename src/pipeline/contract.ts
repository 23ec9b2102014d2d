import type { ModelSidecar } from '../types.js';

/**
 * The model contract (docs/architecture.md, "The model contract") checked against what a loaded session declares and what it returns.
 * Pure: both checks return the list of differences, each naming the tensor, what it is and what the contract wants;
 * the engine joins them into one MODEL_CONTRACT error.
 */

/** What onnxruntime's `session.inputMetadata` / `outputMetadata` give per tensor (structurally the same type). */
export interface TensorSignature {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  /** Numbers are fixed sizes; strings (symbolic) or negative numbers are dynamic; empty = not declared. */
  readonly shape?: ReadonlyArray<number | string>;
}

export interface ModelSignature {
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
}

/** One output tensor of an actual run. */
export interface OutputTensor {
  readonly type: string;
  readonly dims: readonly number[];
}

const isDynamic = (d: number | string | undefined) => typeof d === 'string' || (typeof d === 'number' && d < 0);
const show = (shape: ReadonlyArray<number | string>) => `[${shape.join(',')}]`;

function sizeDiff(what: string, dim: number | string | undefined, expected: number, sidecarField: string): string[] {
  return isDynamic(dim) || dim === expected ? [] : [`${what} is ${dim}, the sidecar's ${sidecarField} is ${expected}`];
}

function inputDiffs(image: TensorSignature, sidecar: ModelSidecar): string[] {
  if (!image.isTensor) return ['input "image" is not a tensor'];
  const diffs: string[] = [];
  if (image.type !== 'uint8') diffs.push(`input "image" is ${image.type}, expected uint8 (do the conversion to float and the normalisation inside the graph)`);
  const shape = image.shape ?? [];
  if (shape.length === 0) return [...diffs, 'input "image" has no declared shape, expected [N,H,W,3]'];
  if (shape.length !== 4) return [...diffs, `input "image" has shape ${show(shape)} (rank ${shape.length}), expected rank 4 [N,H,W,3]`];
  const [n, h, w, c] = shape;
  if (!isDynamic(n)) diffs.push(`input "image" batch dimension is fixed at ${n}, expected dynamic (export with a dynamic batch axis)`);
  if (c !== 3) {
    const nchw = shape[1] === 3 ? ' — it looks like NCHW: take NHWC and transpose inside the graph' : '';
    diffs.push(`input "image" has shape ${show(shape)}, expected NHWC [N,H,W,3] with 3 channels last${nchw}`);
    return diffs;
  }
  diffs.push(...sizeDiff('input "image" height', h, sidecar.input.height, 'input.height'));
  diffs.push(...sizeDiff('input "image" width', w, sidecar.input.width, 'input.width'));
  return diffs;
}

function outputSignatureDiffs(out: TensorSignature, sidecar: ModelSidecar): string[] {
  const expected = out.name === 'score' ? '[N]' : '[N,1,H,W]';
  if (!out.isTensor) return [`output "${out.name}" is not a tensor`];
  const diffs: string[] = [];
  if (out.type !== 'float32') diffs.push(`output "${out.name}" is ${out.type}, expected float32`);
  // An undeclared output shape is legal ONNX; the dry run at load checks the actual shape instead.
  const shape = out.shape ?? [];
  if (shape.length === 0) return diffs;
  const rank = out.name === 'score' ? 1 : 4;
  if (shape.length !== rank) return [...diffs, `output "${out.name}" has shape ${show(shape)}, expected ${expected}`];
  if (!isDynamic(shape[0])) diffs.push(`output "${out.name}" batch dimension is fixed at ${shape[0]}, expected dynamic`);
  if (out.name === 'anomaly_map') {
    if (shape[1] !== 1 && !isDynamic(shape[1])) diffs.push(`output "anomaly_map" has ${shape[1]} channels, expected 1 [N,1,H,W]`);
    diffs.push(...sizeDiff('output "anomaly_map" height', shape[2], sidecar.input.height, 'input.height'));
    diffs.push(...sizeDiff('output "anomaly_map" width', shape[3], sidecar.input.width, 'input.width'));
  }
  return diffs;
}

/** Differences between a session's declared inputs/outputs and the contract, given its sidecar. */
export function signatureDiffs(sig: ModelSignature, sidecar: ModelSidecar): string[] {
  const diffs: string[] = [];
  const names = (ts: readonly TensorSignature[]) => ts.map((t) => `"${t.name}"`).join(', ') || 'none';
  const image = sig.inputs.find((t) => t.name === 'image');
  if (image === undefined) diffs.push(`no input "image" (inputs: ${names(sig.inputs)})`);
  else diffs.push(...inputDiffs(image, sidecar));
  const extra = sig.inputs.filter((t) => t.name !== 'image');
  if (extra.length > 0) diffs.push(`extra inputs ${names(extra)}: the contract has one input, "image"`);
  for (const name of ['score', 'anomaly_map']) {
    const out = sig.outputs.find((t) => t.name === name);
    if (out === undefined) diffs.push(`no output "${name}" (outputs: ${names(sig.outputs)})`);
    else diffs.push(...outputSignatureDiffs(out, sidecar));
  }
  return diffs;
}

/** Differences between the outputs of an actual run on `n` frames and the contract. */
export function runDiffs(outputs: Readonly<Record<string, OutputTensor | undefined>>, n: number, sidecar: ModelSidecar): string[] {
  const { height: h, width: w } = sidecar.input;
  const want: Record<string, number[]> = { score: [n], anomaly_map: [n, 1, h, w] };
  const diffs: string[] = [];
  for (const [name, dims] of Object.entries(want)) {
    const out = outputs[name];
    if (out === undefined) diffs.push(`a run on ${n} frames returned no "${name}"`);
    else if (out.type !== 'float32' || out.dims.length !== dims.length || out.dims.some((d, i) => d !== dims[i])) {
      diffs.push(`a run on ${n} frames returned "${name}" as ${out.type} ${show(out.dims)}, expected float32 ${show(dims)}`);
    }
  }
  return diffs;
}
