/**
 * Child-process helper for the quiet-fallback test: sets onnxruntime's log level from argv[2], then asks for the
 * CUDA provider, which this machine cannot load, and prints the error it was given. What onnxruntime itself prints
 * goes to stderr, where the test looks for it.
 */
import { env, InferenceSession } from 'onnxruntime-node';

env.logLevel = process.argv[2] as typeof env.logLevel;
try {
  await InferenceSession.create(process.argv[3]!, { executionProviders: ['cuda'] });
  console.log('created');
} catch (err) {
  console.log(`caught: ${(err as Error).message.split('\n')[0]}`);
}
