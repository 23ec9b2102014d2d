/**
 * `cameras[].genicam` — a GigE Vision / USB3 Vision camera's GenICam settings (src/sources/genicam.ts): each is set
 * on the camera and read back at every start; a value the camera refuses is GENICAM_FEATURE at run time, a value no
 * camera could take is refused here.
 */
import { z } from 'zod';
import { pixelFormats, triggerModes, type GenicamSettings, type PixelFormat } from '../sources/genicam.js';
import { range, shown } from './fields.js';

const formats = Object.keys(pixelFormats) as [PixelFormat, ...PixelFormat[]];

const region = z
  .object({
    x: range(0, 65_535, ' px', 'the region\'s left edge on the sensor (OffsetX)', true),
    y: range(0, 65_535, ' px', 'the region\'s top edge on the sensor (OffsetY)', true),
    width: range(1, 65_535, ' px', 'the region\'s width on the sensor (Width)', true),
    height: range(1, 65_535, ' px', 'the region\'s height on the sensor (Height)', true),
  })
  .strict();

const trigger = z
  .object({
    mode: z.enum(triggerModes).default('off'),
    source: z.string().min(1, 'name the trigger input line, e.g. Line1').optional(),
    activation: z.string().min(1, 'name the edge, e.g. RisingEdge').optional(),
    timeoutMs: range(10, 60_000, ' ms', 'a software trigger with no frame this long after it is missed (its part rejected); above exposure plus transfer time').default(1000),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.mode === 'hardware' && t.source === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['source'], message: 'required with mode hardware: the camera input the PLC pulses (TriggerSource, e.g. Line1)' });
    }
    if (t.mode !== 'hardware' && t.source !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['source'], message: `${shown(t.source)} applies to mode hardware only (a software trigger's source is Software; remove it, or set mode: hardware)` });
    }
  });

/**
 * Features set by the named fields: given again under `features` they would be set twice, in an order that decides
 * which one the camera keeps.
 */
const named: Readonly<Record<string, string>> = {
  PixelFormat: 'pixelFormat',
  Width: 'roi',
  Height: 'roi',
  OffsetX: 'roi',
  OffsetY: 'roi',
  ExposureTime: 'exposureUs',
  ExposureTimeAbs: 'exposureUs',
  Gain: 'gain',
  GainRaw: 'gain',
  AcquisitionFrameRate: 'frameRate',
  AcquisitionFrameRateAbs: 'frameRate',
  TriggerSelector: 'trigger',
  TriggerMode: 'trigger.mode',
  TriggerSource: 'trigger.source',
  TriggerActivation: 'trigger.activation',
  GevSCPSPacketSize: 'packetSize',
};

const featureName = z.string().superRefine((name, ctx) => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${shown(name)} is not a GenICam feature name (letters, digits and "_", as in the camera's manual)` });
  } else if (named[name] !== undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `set ${name} with genicam.${named[name]}, not under features` });
  }
});

const featureValue = z.union([z.string(), z.number().finite(), z.boolean()], { errorMap: () => ({ message: 'give the value as a string, a number or true/false' }) });

export const genicam: z.ZodType<GenicamSettings, z.ZodTypeDef, unknown> = z
  .object({
    pixelFormat: z.enum(formats).optional(),
    roi: region.optional(),
    exposureUs: range(1, 60_000_000, ' µs', 'the exposure time in microseconds').optional(),
    gain: range(-1000, 1000, '', 'in the camera\'s unit: dB where it has Gain, steps where it has only GainRaw').optional(),
    frameRate: range(0.001, 100_000, ' frames/s', 'the rate of a free-running camera').optional(),
    trigger: trigger.default({}),
    packetSize: range(576, 16_384, ' bytes', 'GevSCPSPacketSize: at most the camera NIC\'s MTU (1500, or 9000 with jumbo frames)', true).optional(),
    packetSocket: z.boolean().default(true),
    features: z.record(featureName, featureValue).default({}),
  })
  .strict()
  .superRefine((g, ctx) => {
    if (g.frameRate !== undefined && g.trigger.mode !== 'off') {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['frameRate'],
        message: `a ${g.trigger.mode}-triggered camera takes one frame per trigger (remove frameRate, or set trigger.mode: off)`,
      });
    }
  });
