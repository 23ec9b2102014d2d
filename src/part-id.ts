/**
 * The id of a part's decision, `<camera>:part:<partId>` (MQTT contract, the `part` topic): the same on the service
 * that decides and the actuator that acts, and across restarts of either, so the actuator can match a decision to
 * the part signal it saw and apply it once. Pure.
 */
export const partDecisionId = (camera: string, partId: string): string => `${camera}:part:${partId}`;
