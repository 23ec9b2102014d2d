/**
 * Step 2 of reading the config: every secret settled, after validation. A `credential:NAME` value is read from
 * systemd's credentials (src/credentials.ts; a TLS key becomes the credential's path); a user name and password in
 * the broker URL (percent-encoded) leave it for the fields, so that from here on the URL holds no secret and may be
 * logged. Every secret that cannot be read is named in one error.
 */
import { secretPath, secretsReader, secretValue, type SecretRead } from '../credentials.js';
import { uniadError } from '../errors.js';
import { parseBrokerUrls } from '../sinks/broker-url.js';
import type { ValidConfig } from './schema.js';

export function readSecrets(cfg: ValidConfig, env: NodeJS.ProcessEnv = process.env): ValidConfig {
  const { read, problems } = secretsReader(env);
  const eb = cfg.embeddedBroker;
  const settled: ValidConfig = {
    ...cfg,
    embeddedBroker: {
      ...eb,
      password: read(secretValue, eb.password, 'embeddedBroker.password'),
      users: eb.users.map((u, i) => ({ ...u, password: read(secretValue, u.password, `embeddedBroker.users[${i}].password`)! })),
    },
    dashboard: dashboardSecrets(cfg.dashboard, read),
    mqtt: mqttSecrets(cfg.mqtt, read, problems),
    jetstream: cfg.jetstream && { ...cfg.jetstream, password: read(secretValue, cfg.jetstream.password, 'jetstream.password') },
    cameras: cfg.cameras.map((cam, i) => {
      const s = cam.parts?.signal;
      // an OPC UA PLC's password for the part signal may name a credential, as the actuator's does
      if (s?.kind !== 'opcua') return cam;
      return { ...cam, parts: { ...cam.parts!, signal: { ...s, password: read(secretValue, s.password, `cameras[${i}].parts.signal.password`) } } };
    }) as ValidConfig['cameras'],
  };
  if (problems.length > 0) throw uniadError('CONFIG_INVALID', problems.join('; '));
  return settled;
}

function dashboardSecrets(d: ValidConfig['dashboard'], read: SecretRead): ValidConfig['dashboard'] {
  return {
    ...d,
    password: read(secretValue, d.password, 'dashboard.password'),
    users: d.users.map((u, i) => ({ ...u, password: read(secretValue, u.password, `dashboard.users[${i}].password`)! })),
    tls: d.tls && { ...d.tls, key: read(secretPath, d.tls.key, 'dashboard.tls.key')! },
  };
}

function mqttSecrets(mqtt: ValidConfig['mqtt'], read: SecretRead, problems: string[]): ValidConfig['mqtt'] {
  // the schema parsed the URLs once already (fields.ts) and found the nodes' logins equal (mqtt.ts): here it cannot fail
  const brokers = mqtt.url === undefined ? undefined : parseBrokerUrls(mqtt.url);
  const broker = brokers?.[0];
  const safe = brokers?.map((b) => b.url);
  const url = typeof mqtt.url === 'string' ? safe?.[0] : safe;
  // a password in the field may name a credential; one in the URL is the URL's
  const password = read(secretValue, mqtt.password, 'mqtt.password');
  if (broker?.username === undefined) return { ...mqtt, url, password, key: read(secretPath, mqtt.key, 'mqtt.key') };
  // both given: the schema checked the user names and plain passwords agree (refinements.ts credentialsAgree)
  if (password !== undefined && broker.password !== undefined && password !== broker.password) problems.push('mqtt.url: has a password that differs from the credential mqtt.password names (give the credentials once: remove them from the URL and keep the fields)');
  return { ...mqtt, url, username: broker.username, password: password ?? broker.password, key: read(secretPath, mqtt.key, 'mqtt.key') };
}
