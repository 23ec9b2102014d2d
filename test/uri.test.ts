import { describe, expect, it } from 'vitest';
import { parseSourceUri } from '../src/sources/uri.js';

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

  it('names the field, the bad value and the fix', () => {
    expect(() => parseSourceUri('http://x/y', field)).toThrow('config: cameras[0].source: unsupported scheme "http" (use rtsp, file, v4l2, csi, test)');
    expect(() => parseSourceUri('v4l2://video0', field)).toThrow(/cameras\[0\]\.source: expected a device like v4l2:\/\/\/dev\/video0 in "v4l2:\/\/video0"/);
    expect(() => parseSourceUri('test:plaid', field)).toThrow(/unknown test pattern "plaid" \(one of smpte, snow/);
    expect(() => parseSourceUri('rtsp://', field)).toThrow(/cameras\[0\]\.source: (malformed URL|missing host)/);
  });
});
