/**
 * Reads the actuator's config file: YAML (CONFIG_READ, CONFIG_YAML), the schema with every issue at once
 * (CONFIG_INVALID, pointing at deploy/actuator.example.yaml), then secrets (`credential:NAME` as in the service's
 * config, src/credentials.ts; user and password out of the broker URL) and paths (relative to the config file's
 * folder; the state folder as src/state-dir.ts resolves it).
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { secretPath, secretsReader, secretValue } from '../../credentials.js';
import { uniadError } from '../../errors.js';
import { parseBrokerUrl } from '../../sinks/broker-url.js';
import { resolveStateDir } from '../../state-dir.js';
import { readYamlFile } from '../../yaml-file.js';
import { configRefusal } from '../../zod-issues.js';
import { actuatorSchema, type ActuatorConfig, type ValidActuatorConfig } from './schema.js';

export const actuatorExample = 'deploy/actuator.example.yaml';

export function parseActuatorConfig(doc: unknown, baseDir = process.cwd(), env: NodeJS.ProcessEnv = process.env): ActuatorConfig {
  const result = actuatorSchema.safeParse(doc ?? {});
  if (!result.success) throw configRefusal(result.error, { doc, example: actuatorExample });
  return withPaths(withSecrets(result.data, env), baseDir, env);
}

export function loadActuatorConfig(path: string, env: NodeJS.ProcessEnv = process.env): ActuatorConfig {
  return parseActuatorConfig(readYamlFile(path), dirname(resolve(path)), env);
}

/** Every secret settled; every one that cannot be read named in one error. */
function withSecrets(cfg: ValidActuatorConfig, env: NodeJS.ProcessEnv): ValidActuatorConfig {
  const { read, problems } = secretsReader(env);
  const broker = parseBrokerUrl(cfg.mqtt.url);
  const inUrl = broker.username !== undefined;
  const plcPassword = <T extends { readonly password?: string }>(section: T, field: string): T => ({ ...section, password: read(secretValue, section.password, field) });
  const settled: ValidActuatorConfig = {
    ...cfg,
    mqtt: {
      ...cfg.mqtt,
      url: broker.url,
      username: inUrl ? broker.username : cfg.mqtt.username,
      password: inUrl ? broker.password : read(secretValue, cfg.mqtt.password, 'mqtt.password'),
      key: read(secretPath, cfg.mqtt.key, 'mqtt.key'),
    },
    stations: cfg.stations.map((s, i) => ({
      ...s,
      signal: s.signal?.kind === 'opcua' ? plcPassword(s.signal, `stations[${i}].signal.password`) : s.signal,
      output: s.output.kind === 'opcua' ? plcPassword(s.output, `stations[${i}].output.password`) : s.output,
    })) as ValidActuatorConfig['stations'],
  };
  if (problems.length > 0) throw uniadError('CONFIG_INVALID', problems.join('; '));
  return settled;
}

function withPaths(cfg: ValidActuatorConfig, baseDir: string, env: NodeJS.ProcessEnv): ActuatorConfig {
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...cfg,
    stateDir: resolveStateDir(abs(cfg.stateDir), env),
    mqtt: { ...cfg.mqtt, ca: abs(cfg.mqtt.ca), cert: abs(cfg.mqtt.cert), key: abs(cfg.mqtt.key) },
  };
}
