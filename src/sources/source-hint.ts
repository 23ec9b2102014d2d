import type { SourceSpec } from './uri.js';

/**
 * What to check when a camera's pipeline fails, by source kind. GStreamer's own text ("Could not open resource for
 * reading and writing.") says what broke, not what the operator should do about it. The capture keeps retrying.
 */
export function sourceHint(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'rtsp':
      return 'check that the camera is on and reachable from this host, and the URI path and credentials; retrying with backoff';
    case 'file':
      return 'check that the file exists, is readable, and is a complete video (a truncated MP4 lacks its index); retrying with backoff';
    case 'v4l2':
      return 'check that the device exists, is a camera, and no other program holds it; retrying with backoff';
    case 'csi':
      return 'check the ribbon cable and that nvargus-daemon runs (systemctl status nvargus-daemon), and that the sensor id exists; retrying with backoff';
    case 'genicam':
      return 'check that the camera is powered and reachable from this host (uniad-edge doctor lists the GenICam cameras Aravis finds), that no other program holds it, and its genicam settings; retrying with backoff';
    case 'test':
      return 'the test source failed: check the GStreamer installation (gst-inspect-1.0 videotestsrc); retrying with backoff';
  }
}
