/** The part former a camera gets for how it takes parts (former.ts lists them). */
import { DetectorFormer } from './detector.js';
import type { PartFormer } from './former.js';
import { GrabFormer } from './grab.js';
import { HardwareTriggerFormer } from './hardware-trigger.js';
import type { Looker } from './look.js';
import type { Region } from './luma.js';
import { PresenceLooker } from './presence-look.js';
import { SoftwareTriggerFormer } from './software-trigger.js';
import { StationLooker } from './station-look.js';

export type PartDetectorSettings = { readonly settleFrames: number; readonly frames: number } & (
  | { readonly kind: 'station'; readonly region: Region; readonly motionThreshold: number }
  | { readonly kind: 'presence'; readonly region: Region; readonly brighter?: number; readonly darker?: number }
);

/** How a camera takes parts: what its config says (service/parts.ts reads it). */
export type FormerSettings = { readonly frameTimeoutMs: number } & (
  | { readonly kind: 'software' }
  | { readonly kind: 'hardware'; readonly signalLagMs: number }
  | { readonly kind: 'grab'; readonly frames: number }
  | { readonly kind: 'detector'; readonly detector: PartDetectorSettings }
);

function lookerFor(d: PartDetectorSettings): Looker {
  if (d.kind === 'station') return new StationLooker(d);
  return new PresenceLooker(d.brighter !== undefined ? { region: d.region, brighter: d.brighter } : { region: d.region, darker: d.darker! });
}

/** `runId` numbers a detector's parts apart from those of earlier runs of the service. */
export function formerFor(camera: string, runId: string, s: FormerSettings): PartFormer {
  switch (s.kind) {
    case 'software':
      return new SoftwareTriggerFormer(camera, s.frameTimeoutMs);
    case 'hardware':
      return new HardwareTriggerFormer(camera, { frameTimeoutMs: s.frameTimeoutMs, signalLagMs: s.signalLagMs });
    case 'grab':
      return new GrabFormer(camera, s.frames, s.frameTimeoutMs);
    case 'detector':
      return new DetectorFormer(camera, runId, lookerFor(s.detector), { settleFrames: s.detector.settleFrames, frames: s.detector.frames, frameTimeoutMs: s.frameTimeoutMs });
  }
}
