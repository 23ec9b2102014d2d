/**
 * Secrets in the config as references to systemd credentials: a value `credential:NAME` stands for the file NAME in
 * `$CREDENTIALS_DIRECTORY`, where `LoadCredential=` put a copy only this service can read (systemd.exec(5)). The
 * unit loads /etc/uniad-edge/credentials as `uniad`, so its file `mqtt-password` is `credential:uniad_mqtt-password`.
 * The config file then holds no secret and can be readable by the service's group.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { uniadError, UniadError } from './errors.js';

const scheme = 'credential:';

/** Whether a value references a systemd credential (`credential:NAME`) instead of being the secret itself. */
export const isCredential = (value: string): boolean => value.startsWith(scheme);

/** The credential file a `credential:NAME` value names, or undefined for a plain value. */
export function credentialFile(value: string | undefined, field: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (value === undefined || !value.startsWith(scheme)) return undefined;
  const name = value.slice(scheme.length);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw uniadError('CONFIG_INVALID', `${field}: "${value}" names no credential (write credential:NAME, NAME as systemd lists it, e.g. credential:uniad_mqtt-password)`);
  }
  const dir = env.CREDENTIALS_DIRECTORY;
  if (dir === undefined) {
    throw uniadError('CONFIG_INVALID', `${field}: "${value}" needs $CREDENTIALS_DIRECTORY, which systemd sets with LoadCredential= (run it as the service, e.g. systemd-run -p LoadCredential=uniad:/etc/uniad-edge/credentials --pipe …, or write the value)`);
  }
  return join(dir, name);
}

/** A secret value: the plain value, or the content of the credential it references (one trailing newline dropped). */
export function secretValue(value: string | undefined, field: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = credentialFile(value, field, env);
  if (file === undefined) return value;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw uniadError('CONFIG_INVALID', `${field}: cannot read credential ${file}: ${(err as Error).message} (put the file in /etc/uniad-edge/credentials/, root 0600, and restart the unit)`);
  }
}

/** A file path that may be a credential (a TLS key): the credential's path, or the plain path. */
export function secretPath(value: string | undefined, field: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return credentialFile(value, field, env) ?? value;
}

/** Reads a secret with `reader` (secretValue, secretPath); a failure is kept in `problems` and gives undefined. */
export type SecretRead = (reader: typeof secretValue, value: string | undefined, field: string) => string | undefined;

/**
 * The secrets of a whole config, read field by field: every one that cannot be read is named in `problems` (without
 * the `config: ` of its message), so that one error can list them all.
 */
export function secretsReader(env: NodeJS.ProcessEnv = process.env): { readonly read: SecretRead; readonly problems: string[] } {
  const problems: string[] = [];
  const read: SecretRead = (reader, value, field) => {
    try {
      return reader(value, field, env);
    } catch (err) {
      if (!(err instanceof UniadError)) throw err;
      problems.push(err.message.replace(/^config: /, ''));
      return undefined;
    }
  };
  return { read, problems };
}
