/**
 * `cameras[].parts` — how a camera's frames make parts (docs/parts.md): from the PLC's part signal (`signal`), or
 * from what the frames show (`detector`); how many frames a part takes, how long it waits for them, and the rule
 * that decides a part from its frames. A camera without it publishes frame verdicts only. The part signal is written
 * as the reject actuator's (`stations[].signal`, one schema): the service and the actuator read the same PLC alike.
 */
import { z } from 'zod';
import { signal } from '../actuator/config/signal.js';
import { range, shown } from './fields.js';

const fraction = (what: string) => range(0, 1, '', `${what}, as a fraction of the inspected image (0 to 1)`);

/** A rectangle of the inspected image, in fractions of its width and height (parts/luma.ts). */
const region = z
  .object({
    x: fraction('the left edge'),
    y: fraction('the top edge'),
    width: range(0.001, 1, '', 'the width, as a fraction of the inspected image'),
    height: range(0.001, 1, '', 'the height, as a fraction of the inspected image'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.x + r.width > 1) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['width'], message: `x + width is ${r.x + r.width}: the region ends beyond the image's right edge (at most 1)` });
    if (r.y + r.height > 1) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['height'], message: `y + height is ${r.y + r.height}: the region ends beyond the image's bottom edge (at most 1)` });
  });

const settleFrames = range(1, 100, ' frames', 'frames a part must be seen, still, to be a part; the first ones wait that long to be scored', true).default(2);
const framesOfPart = range(1, 1000, ' frames', 'frames a part takes before it is decided; later frames of it are scored alone', true).default(3);

const detector = z.discriminatedUnion('kind', [
  z
    .object({
      /** Motion stopping at a station (parts/station-look.ts). */
      kind: z.literal('station'),
      region: region.optional(),
      motionThreshold: range(0.01, 255, ' luma levels', 'the mean change between two frames that is motion, not a still part (the demo line: still < 0.3, next part > 5.7)').default(3),
      settleFrames,
      frames: framesOfPart,
    })
    .strict(),
  z
    .object({
      /** Presence in a region (parts/presence-look.ts). */
      kind: z.literal('presence'),
      region,
      brighter: range(0, 255, ' luma levels', 'a part is there while the region\'s mean luma is above this (bright parts on a dark belt)').optional(),
      darker: range(0, 255, ' luma levels', 'a part is there while the region\'s mean luma is below this (dark parts on a bright belt)').optional(),
      settleFrames,
      frames: framesOfPart,
    })
    .strict(),
]);

/** The section's own rules; the ones that involve the rest of the camera are in refinements.ts (partsFitTheCamera). */
export const partsBase = z
  .object({
    /** The PLC's part signal: the part ids come from the PLC (stable across restarts, shared with the actuator). */
    signal: signal.optional(),
    /** A free-running camera with a signal: frames a part takes after its signal. */
    frames: range(1, 1000, ' frames', 'frames a part takes after its signal (a free-running camera)', true).default(1),
    frameTimeoutMs: range(10, 600_000, ' ms', 'a part that has not had its frames this long after its signal is decided fail-safe (no-frame); for a detector, frames stopping this long end the part').default(1500),
    signalLagMs: range(0, 10_000, ' ms', 'a hardware-triggered camera\'s frame waits this long for its part signal before it is scored alone').default(100),
    /** When the ejector needs a part's decision, counted from its signal: later ones are counted late (metrics). */
    decisionBudgetMs: range(1, 600_000, ' ms', "the part's travel from the camera to the ejector less the actuator's lead time: a decision later than this after the part's signal is counted late (the actuator rejects that part fail-safe)").optional(),
    rule: z.enum(['any', 'max', 'k-of-n']).default('any'),
    k: range(1, 1000, ' frames', 'frames that must reject for k-of-n to reject the part', true).optional(),
    detector: detector.optional(),
  })
  .strict();

export const parts = partsBase.superRefine((p, ctx) => {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
  if (p.signal === undefined && p.detector === undefined) issue([], 'give signal (the PLC\'s part signal) or detector (parts found in the frames)');
  if (p.signal !== undefined && p.detector !== undefined) issue(['detector'], 'a camera with a part signal takes its parts from it (remove detector, or signal)');
  if (p.rule === 'k-of-n' && p.k === undefined) issue(['k'], 'required with rule k-of-n: how many frames of a part must reject');
  if (p.rule !== 'k-of-n' && p.k !== undefined) issue(['k'], `applies to rule k-of-n only, the rule is ${shown(p.rule)} (remove k, or set rule: k-of-n)`);
  const perPart = p.detector?.frames ?? p.frames;
  if (p.k !== undefined && p.k > perPart) issue(['k'], `${p.k} is more than the ${perPart} frames a part takes (${p.detector ? 'detector.frames' : 'frames'}): no part could reject`);
  const d = p.detector;
  if (d?.kind === 'presence' && (d.brighter === undefined) === (d.darker === undefined)) issue(['detector', 'brighter'], 'give one of brighter (a bright part on a dark belt) or darker (a dark part on a bright one)');
  if (d !== undefined && d.settleFrames > d.frames) issue(['detector', 'settleFrames'], `${d.settleFrames} is more than detector.frames (${d.frames}): a part takes no more frames than it needs to settle (lower settleFrames, or raise frames)`);
});
