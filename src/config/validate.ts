/** Step 1 of reading the config: the document against the schema, every issue of it in one error. */
import { configRefusal } from '../zod-issues.js';
import { configSchema, type ValidConfig } from './schema.js';

/** `doc` is the parsed YAML; an empty file (null) is an empty config. */
export function validateConfig(doc: unknown): ValidConfig {
  const result = configSchema.safeParse(doc ?? {});
  if (result.success) return result.data;
  throw configRefusal(result.error, { doc, example: 'config.example.yaml' });
}
