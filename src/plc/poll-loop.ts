/**
 * Runs `read` every `periodMs`, one at a time: the next reading starts `periodMs` after the last one started, or at
 * once when it took longer (a slow PLC slows the poll, it never stacks requests). A failure is the caller's to
 * handle inside `read`.
 */
export function pollEvery(periodMs: number, read: () => Promise<void>): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const poll = async () => {
    const started = performance.now();
    await read();
    if (!stopped) timer = setTimeout(() => void poll(), Math.max(0, periodMs - (performance.now() - started)));
  };
  void poll();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
