/**
 * The whole config's schema: one schema a section (the files beside this one), and the rules that span fields
 * (refinements.ts), run on the document as written; and the types it gives. `parseConfig` (src/config.ts) is what
 * callers want.
 */
import { z } from 'zod';
import type { SourceSpec } from '../sources/uri.js';
import { archive } from './archive.js';
import { camera } from './cameras.js';
import { dashboard } from './dashboard.js';
import { embeddedBroker } from './embedded-broker.js';
import { jetstream } from './jetstream.js';
import { log } from './log.js';
import { model } from './model.js';
import { defaultPrefix, mqtt } from './mqtt.js';
import { crossFieldRules } from './refinements.js';
import { registry } from './registry.js';
import { shadow } from './shadow.js';
import { topLevel } from './top-level.js';

const sections = z
  .object({
    ...topLevel,
    cameras: z.array(camera).nonempty('add at least one camera'),
    model,
    mqtt: mqtt.default({}),
    jetstream: jetstream.optional(),
    embeddedBroker: embeddedBroker.default({}),
    log: log.default({}),
    shadow: shadow.optional(),
    archive: archive.default({}),
    dashboard: dashboard.default({}),
    registry: registry.default({}),
  })
  .strict();

export const configSchema = z
  .preprocess(crossFieldRules, sections)
  .transform((cfg) => ({ ...cfg, mqtt: { ...cfg.mqtt, prefix: cfg.mqtt.prefix ?? defaultPrefix(cfg.site) } }));

/** A config that passed the schema: defaults filled in, paths and secrets as written. */
export type ValidConfig = z.output<typeof configSchema>;

export type CameraConfig = ValidConfig['cameras'][number] & { readonly spec: SourceSpec };
export type ModelConfig = ValidConfig['model'];
export type MqttConfig = ValidConfig['mqtt'];
export type EmbeddedBrokerConfig = ValidConfig['embeddedBroker'];

/** What a valid config may still be wrong about (warnings.ts). */
export interface ConfigWarning {
  /** The field to look at. */
  readonly field: string;
  /** What may go wrong, and what to do. */
  readonly message: string;
}

/** The config as the service takes it: secrets read (secrets.ts), paths absolute and sources parsed (paths.ts). */
export interface Config extends Omit<ValidConfig, 'cameras' | 'mqtt' | 'stateDir' | 'dataset'> {
  /** What the config may be wrong about though valid (warnings.ts): logged at start, on a reload and by `check`. */
  readonly warnings: readonly ConfigWarning[];
  /** Absolute; resolved by `resolveStateDir` (src/state-dir.ts). */
  readonly stateDir: string;
  /** Absolute; `dataset/` of the state folder unless the config names one. */
  readonly dataset: string;
  readonly cameras: readonly CameraConfig[];
  readonly mqtt: MqttConfig;
}
