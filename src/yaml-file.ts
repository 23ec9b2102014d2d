/** A config file read as YAML: CONFIG_READ when it cannot be read, CONFIG_YAML when it is not YAML. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { uniadError } from './errors.js';

/** The parsed document (null for an empty file). */
export function readYamlFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw uniadError('CONFIG_READ', path, (err as Error).message);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw uniadError('CONFIG_YAML', path, (err as Error).message.split('\n')[0] ?? '');
  }
}
