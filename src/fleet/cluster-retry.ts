/**
 * A JetStream API call asked again while the cluster does not answer it: right after a cluster starts, or while it
 * elects a leader, the API times out (or has no responders, or answers 503) although nothing is wrong. Any other
 * error, or the same past `deadline` (epoch ms), is thrown.
 */
export async function askWhileSettling<T>(step: () => Promise<T>, deadline: number, onRetry?: (err: Error) => void): Promise<T> {
  for (;;) {
    try {
      return await step();
    } catch (err) {
      const transient = /timeout|503|no responders/i.test(`${(err as Error).message} ${(err as { code?: string }).code ?? ''}`);
      if (!transient || Date.now() > deadline) throw err;
      onRetry?.(err as Error);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
