/**
 * GenICam cameras (GigE Vision, USB3 Vision): what a camera's `genicam` settings are, and how its capture child,
 * genicam_child.py (Aravis through PyGObject), is started. Pure, but for the paths of the interpreter and the child.
 */
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { Crop } from '../types.js';
import { sinkName, toModelInput, type LaunchOutput } from './launch.js';

/**
 * GenICam pixel formats (the camera's `PixelFormat` entries) the child converts to RGB, and how: the caps of the raw
 * frames Aravis delivers, and whether GStreamer's bayer2rgb (gst-plugins-bad, 8-bit mosaics only) must demosaic them
 * first. Checked against arv-fake-gv-camera-0.8, which sends all of them but BGR8.
 */
export const pixelFormats = {
  Mono8: { caps: 'video/x-raw,format=GRAY8', demosaic: false },
  Mono16: { caps: 'video/x-raw,format=GRAY16_LE', demosaic: false },
  BayerRG8: { caps: 'video/x-bayer,format=rggb', demosaic: true },
  BayerBG8: { caps: 'video/x-bayer,format=bggr', demosaic: true },
  BayerGB8: { caps: 'video/x-bayer,format=gbrg', demosaic: true },
  BayerGR8: { caps: 'video/x-bayer,format=grbg', demosaic: true },
  RGB8: { caps: 'video/x-raw,format=RGB', demosaic: false },
  BGR8: { caps: 'video/x-raw,format=BGR', demosaic: false },
} as const;

export type PixelFormat = keyof typeof pixelFormats;

/**
 * `off`: the camera runs free at its frame rate. `software`: a frame only when the service fires `TriggerSoftware`
 * (captureCamera's `triggers`). `hardware`: a frame only when the PLC pulses the camera's trigger input.
 */
export const triggerModes = ['off', 'software', 'hardware'] as const;
export type TriggerMode = (typeof triggerModes)[number];

export interface GenicamTrigger {
  readonly mode: TriggerMode;
  /** `TriggerSource` of a hardware trigger: the camera's input line, e.g. `Line1`. */
  readonly source?: string;
  /** `TriggerActivation`, e.g. `RisingEdge`; absent: the camera's. */
  readonly activation?: string;
  /** A software trigger with no frame for this long is missed (a `trigger-missed` event, reason `timeout`). */
  readonly timeoutMs: number;
}

/** A camera's `genicam` section: each setting given is set on the camera and read back at every start. */
export interface GenicamSettings {
  readonly pixelFormat?: PixelFormat;
  /** Region of interest on the sensor (OffsetX, OffsetY, Width, Height): only these pixels leave the camera. */
  readonly roi?: Crop;
  readonly exposureUs?: number;
  /** In the camera's unit: dB where it has `Gain`, its raw steps where it has only `GainRaw`. */
  readonly gain?: number;
  /** Frames per second of a free-running camera. */
  readonly frameRate?: number;
  readonly trigger: GenicamTrigger;
  /** GigE: `GevSCPSPacketSize` in bytes (jumbo frames: up to the NIC's MTU); absent: Aravis negotiates one. */
  readonly packetSize?: number;
  /**
   * GigE: receive through Aravis's packet socket (needs CAP_NET_RAW, else Aravis falls back by itself) or, when
   * false, always through a UDP socket.
   */
  readonly packetSocket: boolean;
  /** Any other features, set in this order after the ones above, each read back. */
  readonly features: Readonly<Record<string, string | number | boolean>>;
}

export const defaultGenicam: GenicamSettings = { trigger: { mode: 'off', timeoutMs: 1000 }, packetSocket: true, features: {} };

/** Debian's interpreter: python3-gi and gir1.2-aravis-0.8 are installed for it, not for a pyenv or venv python. */
export const genicamPython = '/usr/bin/python3';
export const genicamChild = join(packageRoot, 'src/sources/genicam_child.py');
/** Environment variable that carries the child's spec (genicamSpec), as launchEnv does for capture-child.ts. */
export const genicamEnv = 'UNIAD_CAPTURE_GENICAM';

/**
 * What genicam_child.py is told: the camera, its settings, the conversion for each pixel format, and the launch
 * description after the camera's raw frames (letterbox to the model's input, RGB, the appsink).
 */
export function genicamSpec(camera: string, settings: GenicamSettings, out: LaunchOutput): string {
  const triggered = settings.trigger.mode !== 'off';
  // A triggered frame is a part: none may be dropped on the way. A free-running camera drops its oldest when behind.
  const queue = triggered ? 'max-buffers=16 drop=false' : 'max-buffers=2 drop=true';
  const sink = `appsink name=${sinkName} ${queue} sync=false`;
  const { features, ...rest } = settings;
  return JSON.stringify({
    device: camera,
    ...rest,
    features: Object.entries(features).map(([name, value]) => [name, String(value)]),
    formats: pixelFormats,
    launch: [...toModelInput(out), sink].join(' ! '),
  });
}
