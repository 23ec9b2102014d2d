/**
 * Where a part is between the camera and the ejector: the conveyor model. A part signalled at the camera reaches the
 * ejector after the belt carried it `distance`; the output must be commanded its own lead time before that.
 *
 * Positions are in the model's own unit: milliseconds of travel for a belt of constant speed (belt.ts), encoder
 * counts for a belt whose PLC reads an encoder (encoder.ts), where a stopping belt stops its parts too.
 */
export interface Conveyor {
  /** Where a part signalled at `at` (epoch ms) is at the ejector, in the model's unit; undefined when unknown. */
  ejectorPosition(at: number): number | undefined;
  /** Milliseconds from `now` until `position` is at the ejector: negative once passed, Infinity while the belt stands. */
  msUntil(position: number, now: number): number;
}

/** A belt of constant speed: a part reaches the ejector `distanceMm / speedMmPerS` after its signal. Pure. */
export function beltConveyor(distanceMm: number, speedMmPerS: number): Conveyor {
  const travelMs = (distanceMm / speedMmPerS) * 1000;
  return {
    ejectorPosition: (at) => at + travelMs,
    msUntil: (position, now) => position - now,
  };
}
