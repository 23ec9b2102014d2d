import type { InferenceSession } from 'onnxruntime-node';
import type { ProviderName } from '../types.js';

/** How the CPU side of a session is set up; every field measured in docs/performance.md. */
export interface SessionTuning {
  /** onnxruntime intra-op threads; 0 = onnxruntime's default (one per physical core). */
  readonly threads: number;
  /**
   * Whether idle intra-op threads busy-wait for the next piece of work; default false. onnxruntime spins by default,
   * which burns the cores between runs and after each parallel section; on an edge box whose cores also decode the
   * cameras and run MQTT, that time is taken from them. Measured on 2 shared cores: 2-4x more frames/s without
   * spinning (docs/performance.md, "session tuning").
   */
  readonly spinning?: boolean;
}

/** Session options for one execution provider attempt. */
export function sessionOptions(provider: ProviderName, tuning: SessionTuning): InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    ...(tuning.threads > 0 ? { intraOpNumThreads: tuning.threads } : {}),
    graphOptimizationLevel: 'all',
    ...(tuning.spinning !== true ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } } : {}),
  };
}
