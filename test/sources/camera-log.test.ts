import { describe, expect, it } from 'vitest';
import { cameraLogLine } from '../../src/sources/camera-log.js';
import type { CameraEvent } from '../../src/sources/events.js';

const context = { source: 'rtsp://cam/1', fix: 'check the camera' };

describe('camera log lines', () => {
  it('should give each event one line: its level and message, the camera and source first, then what it says', () => {
    const events: CameraEvent[] = [
      { type: 'started', camera: 'a', pid: 7 },
      { type: 'frame-timeout', camera: 'a', seconds: 10 },
      { type: 'error', camera: 'a', message: 'Resource not found.; source rtsp://cam/1' },
      { type: 'exited', camera: 'a', code: null, signal: 'SIGKILL' },
      { type: 'restarting', camera: 'a', attempt: 2, delayMs: 1000 },
      { type: 'frames-lost', camera: 'a', got: 7, expected: 10 },
      { type: 'warning', camera: 'a', message: 'late' },
      { type: 'ended', camera: 'a', loop: true },
      { type: 'ended', camera: 'a', loop: false },
    ];
    const lines = events.map((e) => cameraLogLine(e, context));
    expect(lines.map((l) => `${l.level} ${l.msg}`)).toEqual([
      'info camera capture started',
      'warn no frame from camera in time, restarting its capture',
      'error camera pipeline error',
      'warn camera capture process exited',
      'warn restarting camera capture',
      'warn camera source lost frames: the decoder delivered fewer than the file holds (damaged file?)',
      'warn camera pipeline warning',
      'info file source ended, playing it again',
      'info file source ended',
    ]);
    for (const l of lines) expect(Object.entries(l.fields).slice(0, 2)).toEqual([['camera', 'a'], ['source', 'rtsp://cam/1']]);
    expect(lines[2]!.fields).toMatchObject({ error: 'Resource not found.; source rtsp://cam/1', fix: 'check the camera' });
    expect(lines[5]!.fields).toMatchObject({ got: 7, expected: 10, lost: 3 });
  });

  it('should say what a missed trigger means and where to look, and pass an error code on', () => {
    const events: CameraEvent[] = [
      { type: 'trigger-missed', camera: 'g', partId: '1234', at: 5, reason: 'incomplete' },
      { type: 'trigger-missed', camera: 'g', partId: '1235', at: 6, reason: 'failed', message: 'GVCP timeout' },
      { type: 'untriggered-frame', camera: 'g' },
      { type: 'frames-incomplete', camera: 'g', count: 4 },
      { type: 'error', camera: 'g', message: 'refused', code: 'GENICAM_FEATURE' },
    ];
    const lines = events.map((e) => cameraLogLine(e, context));
    expect(lines.map((l) => `${l.level} ${l.msg}`)).toEqual([
      'warn camera trigger got no frame',
      'warn camera trigger got no frame',
      'warn frame from a software-triggered camera answers no trigger, dropped',
      'warn camera frames arrived incomplete or not at all (network packets lost)',
      'error camera pipeline error',
    ]);
    expect(lines[0]!.fields).toEqual({ camera: 'g', source: 'rtsp://cam/1', partId: '1234', at: 5, reason: 'incomplete', why: 'its frame arrived incomplete (network packets lost: see docs/genicam.md)' });
    expect(lines[1]!.fields).toMatchObject({ why: 'the camera refused TriggerSoftware', detail: 'GVCP timeout' });
    expect(lines[3]!.fields).toMatchObject({ count: 4, fix: expect.stringContaining('net.core.rmem_max') });
    expect(lines[4]!.fields).toMatchObject({ code: 'GENICAM_FEATURE', fix: 'check the camera' });
  });
});
