/**
 * Everything that keeps the node from being plainly `online`, at once: the status topic says `degraded` and lists
 * every active cause (`{"state":"degraded","causes":[{"code","message"},...]}`). Each fault sets its cause while it
 * holds and clears it when it heals; the sink republishes the status on every change.
 */
import type { StatusCause } from '../types.js';

export class StatusCauses {
  private readonly active = new Map<string, StatusCause>();
  private readonly listeners: (() => void)[] = [];

  /** Sets (or updates) the cause under `key` (default its code: one cause per code). */
  set(cause: StatusCause, key = cause.code): void {
    const now = this.active.get(key);
    if (now?.code === cause.code && now.message === cause.message) return;
    this.active.set(key, { code: cause.code, message: cause.message });
    this.changed();
  }

  clear(key: string): void {
    if (this.active.delete(key)) this.changed();
  }

  /** Active causes, in the order they were first set. */
  list(): StatusCause[] {
    return [...this.active.values()];
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
