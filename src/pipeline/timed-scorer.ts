import type { Scorer } from './inspect.js';

/** The same scorer, reporting each run's batch size and duration (failed runs too: they took the time). */
export function timedScorer(scorer: Scorer, onRun: (frames: number, seconds: number) => void, now: () => number = () => performance.now()): Scorer {
  return {
    get modelId() {
      return scorer.modelId;
    },
    get sidecar() {
      return scorer.sidecar;
    },
    async run(frames) {
      const start = now();
      try {
        return await scorer.run(frames);
      } finally {
        onRun(frames.length, (now() - start) / 1000);
      }
    },
  };
}
