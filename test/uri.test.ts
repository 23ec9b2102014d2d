import { describe, expect, it } from 'vitest';
import { describeSource, parseSourceUri } from '../src/sources/uri.js';

const field = 'cameras[0].source';

describe('source URIs', () => {
  it('parses each supported kind', () => {
    expect(parseSourceUri('rtsp://10.0.0.5:8554/cam1', field)).toEqual({ kind: 'rtsp', uri: 'rtsp://10.0.0.5:8554/cam1' });
    expect(parseSourceUri('file:///data/line%201.mp4', field)).toEqual({ kind: 'file', path: '/data/line 1.mp4' });
    expect(parseSourceUri('clips/a.mp4', field, '/srv')).toEqual({ kind: 'file', path: '/srv/clips/a.mp4' });
    expect(parseSourceUri('/abs/a.mp4', field)).toEqual({ kind: 'file', path: '/abs/a.mp4' });
    expect(parseSourceUri('v4l2:///dev/video2', field)).toEqual({ kind: 'v4l2', device: '/dev/video2' });
    expect(parseSourceUri('test:', field)).toEqual({ kind: 'test', pattern: 'smpte' });
    expect(parseSourceUri('test:ball', field)).toEqual({ kind: 'test', pattern: 'ball' });
  });

  it('parses a GenICam camera by whatever Aravis opens it by, percent-decoded', () => {
    for (const camera of ['Aravis-Fake-T1', 'T1', '00:30:53:12:34:56', '192.168.50.10', 'Basler-acA1920-40gc-23456789']) {
      expect(parseSourceUri(`genicam://${camera}`, field)).toEqual({ kind: 'genicam', camera });
    }
    expect(parseSourceUri('genicam://Line%201%20top', field)).toEqual({ kind: 'genicam', camera: 'Line 1 top' });
    expect(describeSource({ kind: 'genicam', camera: 'T1' })).toBe('genicam://T1');
    expect(() => parseSourceUri('genicam://', field)).toThrow(/cameras\[0\]\.source: expected a camera id, serial number, user-defined name, MAC or IP address like genicam:\/\/Basler-40012345/);
    expect(() => parseSourceUri('genicam://cam/1', field)).toThrow(/percent-encode a "\/"/);
    expect(() => parseSourceUri('genicam:cam', field)).toThrow(/in "genicam:cam"/);
    expect(() => parseSourceUri('genicam://50%', field)).toThrow(/a "%" must start a percent-encoded byte/);
  });

  it('names the field, the bad value and the fix', () => {
    expect(() => parseSourceUri('http://x/y', field)).toThrow('config: cameras[0].source: unsupported scheme "http" (use rtsp, file, v4l2, csi, genicam, test)');
    expect(() => parseSourceUri('v4l2://video0', field)).toThrow(/cameras\[0\]\.source: expected a device like v4l2:\/\/\/dev\/video0 in "v4l2:\/\/video0"/);
    expect(() => parseSourceUri('test:plaid', field)).toThrow(/unknown test pattern "plaid" \(one of smpte, snow/);
    expect(() => parseSourceUri('rtsp://', field)).toThrow(/cameras\[0\]\.source: (malformed URL|missing host)/);
  });
});
