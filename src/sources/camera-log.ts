/**
 * The one place a camera event becomes a log line: capture.ts logs every event it emits through here, once, and
 * nothing downstream of `onEvent` logs it again. Pure.
 */
import type { LogLevel } from '../types.js';
import type { CameraEvent, TriggerMiss } from './events.js';

export interface CameraLogLine {
  readonly level: LogLevel;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** What a line says beyond the event: the source as logs may show it, and what to check when its pipeline fails. */
export interface CameraLogContext {
  readonly source: string;
  readonly fix: string;
}

/** What a missed trigger means for the part, and what to look at. */
const missWhy: Record<TriggerMiss, string> = {
  'not-running': 'the camera was not running (starting or restarting)',
  'not-software-triggered': 'the camera is not in software trigger mode (genicam.trigger.mode)',
  failed: 'the camera refused TriggerSoftware',
  timeout: 'no frame within genicam.trigger.timeoutMs',
  resync: 'an earlier trigger went unanswered while this one was owed: its frame could no longer be told from the late one',
  incomplete: 'its frame arrived incomplete (network packets lost: see docs/genicam.md)',
  exited: 'the capture process ended before the frame came',
  stopped: 'the camera was stopped',
};

function describe(event: CameraEvent, fix: string): CameraLogLine {
  switch (event.type) {
    case 'started':
      return { level: 'info', msg: 'camera capture started', fields: { pid: event.pid } };
    case 'frame-timeout':
      return { level: 'warn', msg: 'no frame from camera in time, restarting its capture', fields: { seconds: event.seconds } };
    case 'error':
      return { level: 'error', msg: 'camera pipeline error', fields: { error: event.message, ...(event.code === undefined ? {} : { code: event.code }), fix } };
    case 'exited':
      return { level: 'warn', msg: 'camera capture process exited', fields: { code: event.code, signal: event.signal } };
    case 'restarting':
      return { level: 'warn', msg: 'restarting camera capture', fields: { attempt: event.attempt, delayMs: event.delayMs } };
    case 'frames-lost':
      return {
        level: 'warn',
        msg: 'camera source lost frames: the decoder delivered fewer than the file holds (damaged file?)',
        fields: { got: event.got, expected: event.expected, lost: event.expected - event.got },
      };
    case 'warning':
      return { level: 'warn', msg: 'camera pipeline warning', fields: { warning: event.message } };
    case 'ended':
      return { level: 'info', msg: event.loop ? 'file source ended, playing it again' : 'file source ended', fields: {} };
    case 'trigger-missed':
      return {
        level: 'warn',
        msg: 'camera trigger got no frame',
        fields: { partId: event.partId, at: event.at, reason: event.reason, why: missWhy[event.reason], ...(event.message === undefined ? {} : { detail: event.message }) },
      };
    case 'untriggered-frame':
      return { level: 'warn', msg: 'frame from a software-triggered camera answers no trigger, dropped', fields: {} };
    case 'frames-incomplete':
      return {
        level: 'warn',
        msg: 'camera frames arrived incomplete or not at all (network packets lost)',
        fields: { count: event.count, fix: 'check the camera network: MTU and packet size, net.core.rmem_max, one NIC per camera (docs/genicam.md)' },
      };
  }
}

/** The line for `event`: its camera and source first, then what the event says. */
export function cameraLogLine(event: CameraEvent, context: CameraLogContext): CameraLogLine {
  const { level, msg, fields } = describe(event, context.fix);
  return { level, msg, fields: { camera: event.camera, source: context.source, ...fields } };
}
