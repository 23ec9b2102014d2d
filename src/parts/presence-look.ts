/**
 * "Presence in a region": a part is there while the region's mean luma (luma.ts) is above `brighter` (bright parts
 * on a dark belt) or below `darker` (dark parts on a bright one), the way a vision sensor's brightness tool or a
 * photo-eye sees it. A part begins where the region turns from empty to occupied; parts that touch with no empty
 * frame between them are one part to this detector (use the station detector, or a PLC signal, for those). Pure but
 * for whether the frame before showed a part.
 */
import { lumaCells, meanLuma, type Region } from './luma.js';
import type { Look, Looker } from './look.js';
import type { Frame } from '../types.js';

export type PresenceSettings = { readonly region: Region } & ({ readonly brighter: number; readonly darker?: undefined } | { readonly darker: number; readonly brighter?: undefined });

export class PresenceLooker implements Looker {
  private present = false;

  constructor(private readonly settings: PresenceSettings) {}

  look(frame: Frame): Look {
    const luma = meanLuma(lumaCells(frame, this.settings.region));
    const { brighter, darker } = this.settings;
    const present = brighter !== undefined ? luma > brighter : luma < darker!;
    const was = this.present;
    this.present = present;
    return !present ? 'none' : was ? 'same' : 'new';
  }

  reset(): void {
    this.present = false;
  }
}
