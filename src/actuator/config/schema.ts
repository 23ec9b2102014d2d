/**
 * The actuator's config (`uniad-edge actuate --config actuator.yaml`): its own file, read and refused the way the
 * service's is (src/config/): one schema a section (the files beside this one), the rules that span fields
 * (rules.ts) run on the document as written so that every issue is named at once, then secrets and paths (load.ts).
 */
import { z } from 'zod';
import { topicLevel } from '../../config/fields.js';
import { mqtt } from './mqtt.js';
import { journal, log, metrics, service } from './process.js';
import { stationRules } from './rules.js';
import { station } from './station.js';

const sections = z
  .object({
    /** This actuator among others: its MQTT client id, its status topic `<prefix>/actuator/<name>`, its journal folder. */
    name: topicLevel.default('ejector'),
    /** As the service's `site`: the default topic prefix is `uniad/<site>`. */
    site: topicLevel.default('site'),
    /** The state folder (journal, lock, OPC UA certificates) as the service's: default src/state-dir.ts. */
    stateDir: z.string().min(1, 'give a folder, or leave stateDir out for the default').optional(),
    mqtt: mqtt.default({}),
    service: service.default({}),
    stations: z.array(station).nonempty('add at least one station (a camera and the ejector downstream of it)'),
    metrics: metrics.default({}),
    journal: journal.default({}),
    log: log.default({}),
  })
  .strict();

export const actuatorSchema = z
  .preprocess(stationRules, sections)
  .transform((cfg) => ({ ...cfg, mqtt: { ...cfg.mqtt, prefix: cfg.mqtt.prefix ?? `uniad/${cfg.site}` } }));

export type ValidActuatorConfig = z.output<typeof actuatorSchema>;
export type StationConfig = ValidActuatorConfig['stations'][number];
export type SignalConfig = NonNullable<StationConfig['signal']>;
export type ConveyorConfig = StationConfig['conveyor'];
export type OutputConfig = StationConfig['output'];

/** The config as the actuator takes it: secrets read, paths absolute (load.ts). */
export interface ActuatorConfig extends Omit<ValidActuatorConfig, 'stateDir'> {
  readonly stateDir: string;
}
