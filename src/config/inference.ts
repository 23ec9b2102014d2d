/** The onnxruntime session options that the live model (model.ts) and the shadow model (shadow.ts) both take. */
import { z } from 'zod';
import { providerNames } from '../types.js';
import { range } from './fields.js';

export const inference = {
  /** Execution providers, tried in this order (src/pipeline/providers.ts). */
  providers: z.array(z.enum(providerNames)).nonempty().default(['tensorrt', 'cuda', 'cpu']),
  /** onnxruntime intra-op threads; 0 = onnxruntime's default. */
  threads: range(0, 1024, '', "onnxruntime's intra-op threads; 0 = its default", true).default(0),
};
