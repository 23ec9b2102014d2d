/**
 * Whether this onnxruntime's CPU provider can run bf16 (what AMX-BF16 would speed up): a one-MatMul bf16 graph either
 * loads or onnxruntime says why not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { writeGemmModel } from './gemm-model.js';

/** `loads`, or onnxruntime's first line of refusal. */
export async function probeBf16(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-bench-bf16-'));
  try {
    const path = join(dir, 'bf16.onnx');
    writeGemmModel(path, 64, 16);
    const session = await InferenceSession.create(path, { executionProviders: ['cpu'] });
    await session.release();
    return 'loads';
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? String(err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
