import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniadError } from '../errors.js';

/** A camera source, parsed from its URI once at config time. */
export type SourceSpec =
  | { readonly kind: 'rtsp'; readonly uri: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'v4l2'; readonly device: string }
  | { readonly kind: 'test'; readonly pattern: string }
  /** A Jetson CSI camera through libargus (nvarguscamerasrc), by sensor id. */
  | { readonly kind: 'csi'; readonly sensor: number }
  /**
   * A GigE Vision or USB3 Vision camera through Aravis (genicam_child.py), by its serial number or what Aravis opens a
   * camera by: its id (`<vendor>-<model>-<serial>`, as `uniad-edge doctor` lists it), `<vendor>-<serial>`, its
   * user-defined name, its MAC address, or (GigE) its IP address or host name.
   */
  | { readonly kind: 'genicam'; readonly camera: string };

/** videotestsrc patterns (gst-inspect-1.0 videotestsrc) a `test:` URI may name. */
export const testPatterns = [
  'smpte', 'snow', 'black', 'white', 'red', 'green', 'blue', 'checkers-1', 'checkers-2', 'checkers-4', 'checkers-8',
  'circular', 'blink', 'smpte75', 'zone-plate', 'gamut', 'chroma-zone-plate', 'solid-color', 'ball', 'smpte100',
  'bar', 'pinwheel', 'spokes', 'gradient', 'colors',
] as const;

/**
 * Parses a camera source URI. `field` names the config field for error messages.
 * Accepts rtsp://…, file:///abs/path, a plain path (relative to `baseDir`), v4l2:///dev/videoN, csi://N (Jetson CSI sensor),
 * genicam://<camera> (GigE Vision / USB3 Vision; percent-encode a space or a slash), test:[pattern].
 */
export function parseSourceUri(uri: string, field: string, baseDir = process.cwd()): SourceSpec {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined || /^[a-z]:[\\/]/i.test(uri)) {
    if (uri.trim() === '') throw uniadError('SOURCE_URI', field, uri, 'empty source');
    return { kind: 'file', path: isAbsolute(uri) ? uri : resolve(baseDir, uri) };
  }
  switch (scheme) {
    case 'rtsp':
    case 'rtsps': {
      let url: URL;
      // an RTSP URL may hold a password: an error about it never shows it
      const hidden = '(not shown: it may hold a password)';
      try {
        url = new URL(uri);
      } catch {
        throw uniadError('SOURCE_URI', field, hidden, 'malformed URL (a "#", "?", "@", "%" or "/" in a user name or password must be percent-encoded: %23 %3F %40 %25 %2F)');
      }
      if (url.hostname === '') throw uniadError('SOURCE_URI', field, hidden, 'missing host');
      return { kind: 'rtsp', uri };
    }
    case 'file': {
      let path: string;
      try {
        path = fileURLToPath(uri);
      } catch (err) {
        throw uniadError('SOURCE_URI', field, uri, `bad file URL (${(err as Error).message}; use file:///absolute/path)`);
      }
      return { kind: 'file', path };
    }
    case 'v4l2': {
      const device = uri.slice('v4l2://'.length);
      if (!uri.startsWith('v4l2://') || !/^\/dev\/video\d+$/.test(device)) {
        throw uniadError('SOURCE_URI', field, uri, 'expected a device like v4l2:///dev/video0');
      }
      return { kind: 'v4l2', device };
    }
    case 'csi': {
      const sensor = uri.slice('csi://'.length);
      if (!uri.startsWith('csi://') || !/^\d+$/.test(sensor)) throw uniadError('SOURCE_URI', field, uri, 'expected a sensor id like csi://0');
      return { kind: 'csi', sensor: Number(sensor) };
    }
    case 'genicam': {
      const encoded = uri.slice('genicam://'.length);
      if (!uri.startsWith('genicam://') || encoded === '' || /[/?#]/.test(encoded)) {
        throw uniadError('SOURCE_URI', field, uri, 'expected a camera id, serial number, user-defined name, MAC or IP address like genicam://Basler-40012345 (percent-encode a "/", "?" or "#")');
      }
      try {
        return { kind: 'genicam', camera: decodeURIComponent(encoded) };
      } catch {
        throw uniadError('SOURCE_URI', field, uri, 'a "%" must start a percent-encoded byte (%25 for "%" itself)');
      }
    }
    case 'test': {
      const pattern = uri.slice('test:'.length) || 'smpte';
      if (!(testPatterns as readonly string[]).includes(pattern)) {
        throw uniadError('SOURCE_URI', field, uri, `unknown test pattern "${pattern}" (one of ${testPatterns.join(', ')})`);
      }
      return { kind: 'test', pattern };
    }
    default:
      throw uniadError('SOURCE_SCHEME', field, scheme);
  }
}

/** The source as a user wrote it, for logs and error messages; an RTSP password is masked. */
export function describeSource(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'rtsp': {
      const url = new URL(spec.uri);
      if (url.password !== '') url.password = '***';
      return url.href;
    }
    case 'file':
      return spec.path;
    case 'v4l2':
      return `v4l2://${spec.device}`;
    case 'test':
      return `test:${spec.pattern}`;
    case 'csi':
      return `csi://${spec.sensor}`;
    case 'genicam':
      return `genicam://${spec.camera}`;
  }
}
