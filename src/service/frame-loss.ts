import { uniadError } from '../errors.js';
import type { StatusCauses } from '../sinks/status-causes.js';
import type { CameraEvent } from '../sources/events.js';

/**
 * Frames a camera's decoder lost (a damaged file: parts never inspected), per camera: counted, and a cause of
 * `degraded` (SOURCE_FRAMES_LOST, one per camera) from the pass that lost them until a pass over the file loses none.
 */
export function frameLoss(causes: StatusCauses): { onEvent(event: CameraEvent): void; counts(): Record<string, number>; forget(camera: string): void } {
  const lost: Record<string, number> = {};
  const lostThisPass = new Set<string>();
  return {
    onEvent: (event) => {
      const key = `SOURCE_FRAMES_LOST:${event.camera}`;
      if (event.type === 'frames-lost') {
        lost[event.camera] = (lost[event.camera] ?? 0) + event.expected - event.got;
        lostThisPass.add(event.camera);
        causes.set(uniadError('SOURCE_FRAMES_LOST', event.camera, String(event.got), String(event.expected)), key);
      } else if (event.type === 'ended') {
        if (!lostThisPass.delete(event.camera)) causes.clear(key);
      }
    },
    counts: () => ({ ...lost }),
    /** A camera a reload removed: its cause goes (its count stays, it happened). */
    forget: (camera) => {
      lostThisPass.delete(camera);
      causes.clear(`SOURCE_FRAMES_LOST:${camera}`);
    },
  };
}
