/**
 * Back-pressure for sources that can wait: a recorded file played not-live (launch.ts) must have every frame
 * inspected, but nothing stops its capture child from decoding faster than the model scores. The consumer holds a
 * camera while its backlog is long and releases it when the backlog is short; a held camera stops reading its frame
 * pipe, the child's writes then block, and its decoder waits (capture-child.ts re-arms a pull only after a write).
 * Live cameras are never held: they cannot wait, their overload policy sheds instead.
 */
export class FlowGate {
  private readonly held = new Set<string>();
  private readonly waiting = new Map<string, (() => void)[]>();

  hold(camera: string): void {
    this.held.add(camera);
  }

  /** Releases the camera and runs what waited for it. A camera that was not held is left alone. */
  release(camera: string): void {
    if (!this.held.delete(camera)) return;
    const callbacks = this.waiting.get(camera) ?? [];
    this.waiting.delete(camera);
    for (const cb of callbacks) cb();
  }

  isHeld(camera: string): boolean {
    return this.held.has(camera);
  }

  /** Runs `cb` once, when the camera is next released (at once if it is not held). */
  whenReleased(camera: string, cb: () => void): void {
    if (!this.held.has(camera)) return cb();
    this.waiting.set(camera, [...(this.waiting.get(camera) ?? []), cb]);
  }
}
