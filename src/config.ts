/**
 * The config: a YAML file read into one typed, validated object, in three steps — the schema with every issue at
 * once (config/validate.ts), the secrets (config/secrets.ts), the paths (config/paths.ts).
 *
 * `src/config/` holds one schema a section (cameras.ts, model.ts, mqtt.ts, …), the rules that span fields
 * (refinements.ts), their assembly (schema.ts) and the steps. It may import shared modules at `src/` and the parsers
 * of `sources/` and `sinks/` it checks values with; nothing in `sources/`, `pipeline/` or `sinks/` imports it (each
 * declares the settings it takes; the wiring passes the config in).
 */
import { dirname, resolve } from 'node:path';
import { resolvePaths } from './config/paths.js';
import type { Config } from './config/schema.js';
import { readSecrets } from './config/secrets.js';
import { validateConfig } from './config/validate.js';
import { readYamlFile } from './yaml-file.js';
import { configWarnings } from './config/warnings.js';

export { commandEnabled } from './config/warnings.js';
export { configSchema, type CameraConfig, type ConfigWarning, type Config, type EmbeddedBrokerConfig, type ModelConfig, type MqttConfig } from './config/schema.js';
export { providerNames, type ProviderName } from './types.js';

/**
 * Validates an already-parsed YAML document. Relative paths resolve against `baseDir` (the config file's folder);
 * `credential:NAME` secrets are read from `env.CREDENTIALS_DIRECTORY` (credentials.ts).
 */
export function parseConfig(doc: unknown, baseDir = process.cwd(), env: NodeJS.ProcessEnv = process.env): Config {
  const valid = validateConfig(doc);
  const withSecrets = readSecrets(valid, env);
  return { ...resolvePaths(withSecrets, baseDir), warnings: configWarnings(valid) };
}

/** Reads and validates a YAML config file. */
export function loadConfig(path: string): Config {
  return parseConfig(readYamlFile(path), dirname(resolve(path)));
}
