/** `model:` — the live model, how frames are batched for it, and what a frame gets when it cannot be scored in time. */
import { z } from 'zod';
import { range } from './fields.js';
import { inference } from './inference.js';

/** TensorRT settings; they reach TensorRT only through the Jetson build of onnxruntime-node (deploy/jetson). */
const tensorrt = z
  .object({
    fp16: z.boolean().default(true),
    engineCache: z.boolean().default(true),
    timingCache: z.boolean().default(true),
    workspaceMb: range(1, 1_048_576, ' MB', 'memory TensorRT may use to build the engine', true).optional(),
    builderOptimizationLevel: range(0, 5, '', "TensorRT's builder optimisation levels", true).optional(),
  })
  .strict()
  .default({});

export const model = z
  .object({
    path: z.string().min(1),
    ...inference,
    batchMaxSize: range(1, 256, ' frames', 'frames of all cameras scored together', true).default(8),
    /**
     * 0 (default): a frame goes to an idle model at once, and frames that arrive while it is busy are batched together
     * anyway (inspect.ts), so batches grow with the load without a frame ever waiting for a batch to fill; a wait only
     * adds latency (docs/performance.md, batch policy).
     */
    batchMaxWaitMs: range(0, 10_000, ' ms', 'how long a batch waits to fill; every frame waits up to this long before scoring').default(0),
    deadlineMs: range(10, 600_000, ' ms', 'a frame not inspected this long after capture gets a fail-safe verdict; the actuator needs the answer sooner than minutes').default(2000),
    failSafe: z.enum(['reject', 'pass']).default('reject'),
    /** A run still going after this long has hung the worker: its frames get `error` verdicts and a new worker takes over. */
    runTimeoutMs: range(10, 3_600_000, ' ms', 'a batch running longer is abandoned with fail-safe verdicts and a new worker started').default(30_000),
    /** Thresholds from `uniad-edge calibrate` for this model (used only while its `model` matches the loaded model). */
    thresholdsFile: z.string().min(1).optional(),
    /** Idle onnxruntime threads busy-wait for work (src/pipeline/session-options.ts); off: the cores also decode cameras. */
    threadSpinning: z.boolean().default(false),
    tensorrt,
  })
  .strict();
