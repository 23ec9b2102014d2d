/**
 * Where a model's time goes, per operator type, from onnxruntime's own profiler (the session option
 * `enableProfiling`), and the model's FLOPs counted from the shapes that profile records for every node it ran, i.e.
 * the graph as onnxruntime runs it after its own fusions and layout changes.
 *
 * FLOPs count the multiply-adds of convolutions and matrix products (2 FLOP each); elementwise operators, softmax,
 * normalisation and pooling are left out, as FLOP counters of the model (torch.utils.flop_counter) do.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { sessionOptions, type SessionTuning } from '../src/pipeline/session-options.js';

/** One entry of onnxruntime's profile (Chrome trace format) that timed a node. */
interface NodeEvent {
  readonly cat: string;
  readonly name: string;
  readonly dur: number;
  readonly args: {
    readonly op_name: string;
    readonly input_type_shape?: readonly Record<string, number[]>[];
    readonly output_type_shape?: readonly Record<string, number[]>[];
  };
}

export interface OpShare {
  readonly op: string;
  readonly nodes: number;
  /** Mean ms per frame. */
  readonly msPerFrame: number;
  readonly share: number;
  readonly gflopPerFrame: number;
}

export interface OpProfile {
  readonly batch: number;
  readonly ops: readonly OpShare[];
  readonly gflopPerFrame: number;
  /** Sum of node times per frame: what the operators cost without the session's own overhead. */
  readonly nodeMsPerFrame: number;
}

const shapes = (list: NodeEvent['args']['input_type_shape']) => (list ?? []).map((entry) => Object.values(entry)[0] ?? []);
const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

const convOps = new Set(['Conv', 'FusedConv', 'NhwcConv', 'NhwcFusedConv', 'QLinearConv', 'ConvInteger']);
const matmulOps = new Set(['MatMul', 'FusedMatMul', 'Gemm', 'QLinearMatMul', 'MatMulInteger', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul', 'FusedGemm']);

/**
 * FLOPs of one node from its recorded shapes. Conv: 2 · output elements · (Cin/groups · kh · kw), the weight being
 * the first 4-d input after the data (QLinearConv: input 3). Matrix products: 2 · output elements · K, with K the
 * data input's elements over the output rows (so a transposed input counts right); constant weights are not listed.
 */
export function nodeFlops(e: NodeEvent): number {
  const ins = shapes(e.args.input_type_shape);
  const out = shapes(e.args.output_type_shape)[0];
  if (out === undefined || ins.length === 0) return 0;
  const outputs = product(out);
  if (convOps.has(e.args.op_name)) {
    const weight = ins.slice(1).find((d) => d.length === 4);
    return weight === undefined ? 0 : 2 * outputs * product(weight.slice(1));
  }
  if (matmulOps.has(e.args.op_name)) {
    const n = out.at(-1) ?? 1;
    const k = product(ins[0]!) / (outputs / n);
    return 2 * outputs * k;
  }
  return 0;
}

/** Aggregates profile events of `runs` runs of `batch` frames. Pure. */
export function summarizeProfile(events: readonly NodeEvent[], batch: number, runs: number): OpProfile {
  const nodes = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.args?.op_name);
  const perOp = new Map<string, { nodes: number; us: number; flops: number }>();
  for (const e of nodes) {
    const acc = perOp.get(e.args.op_name) ?? { nodes: 0, us: 0, flops: 0 };
    acc.nodes += 1;
    acc.us += e.dur;
    acc.flops += nodeFlops(e);
    perOp.set(e.args.op_name, acc);
  }
  const frames = batch * runs;
  const totalUs = [...perOp.values()].reduce((a, b) => a + b.us, 0);
  const ops = [...perOp.entries()]
    .map(([op, a]) => ({ op, nodes: a.nodes / runs, msPerFrame: a.us / 1000 / frames, share: a.us / totalUs, gflopPerFrame: a.flops / 1e9 / frames }))
    .sort((a, b) => b.msPerFrame - a.msPerFrame);
  return { batch, ops, gflopPerFrame: ops.reduce((a, b) => a + b.gflopPerFrame, 0), nodeMsPerFrame: totalUs / 1000 / frames };
}

/** Profiles `runs` runs of a batch of `batch` frames (after one unprofiled-in-effect warm-up run that is dropped). */
export async function profileModel(modelPath: string, size: { height: number; width: number }, batch: number, runs: number, tuning: SessionTuning): Promise<OpProfile> {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-bench-prof-'));
  try {
    const session = await InferenceSession.create(modelPath, { ...sessionOptions('cpu', tuning), enableProfiling: true, profileFilePrefix: join(dir, 'profile') });
    const image = new Tensor('uint8', new Uint8Array(batch * size.height * size.width * 3).fill(128), [batch, size.height, size.width, 3]);
    await session.run({ image });
    for (let i = 0; i < runs; i++) await session.run({ image });
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (file === undefined) throw new Error(`onnxruntime wrote no profile into ${dir}`);
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as (NodeEvent & { ts: number })[];
    // Drop the warm-up run (every run executes the same nodes, so it is the first 1/(runs+1) of them).
    const nodeEvents = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
    return summarizeProfile(nodeEvents.slice(nodeEvents.length / (runs + 1)), batch, runs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
