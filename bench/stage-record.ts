/** What the bench's service child (service-child.ts) records per decision and says over IPC. */

/** Stage times of one decision; precise epoch ms except `capturedAt` (whole ms, the frame's own field). */
export interface StageRecord {
  readonly id: string;
  readonly reason: string;
  readonly capturedAt: number;
  readonly batchedAt: number;
  readonly runStartedAt: number;
  readonly runEndedAt: number;
  /** Frames in the run that scored it; 0 when it was never scored. */
  readonly batchSize: number;
  readonly decidedAt: number;
}

export type ChildMessage =
  | { readonly type: 'started'; readonly brokerUrl: string; readonly provider: string }
  | { readonly type: 'stopped'; readonly counts: Readonly<Record<string, number>> };

export type ParentMessage = { readonly type: 'stop' };
