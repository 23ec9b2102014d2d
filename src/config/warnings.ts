/**
 * What a valid config may still be wrong about, said at every start, reload and `check` (as warnings, not refusals:
 * each is a choice someone may have made on purpose). Pure; read on the config as validated, before its secrets are
 * settled, so a URL still shows what was written.
 */
import { parseBrokerUrl } from '../sinks/broker-url.js';
import type { ConfigWarning, ValidConfig } from './schema.js';

/** Which commands a node takes (`mqtt.commands`): all, none, or each by name. */
export function commandEnabled(setting: ValidConfig['mqtt']['commands'], kind: keyof Exclude<ValidConfig['mqtt']['commands'], boolean>): boolean {
  return typeof setting === 'boolean' ? setting : setting[kind];
}

export function configWarnings(cfg: ValidConfig): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const { mqtt } = cfg;
  // the nodes of a broker cluster share one login and one scheme (mqtt.ts): the first URL speaks for all
  const first = mqtt.url === undefined ? undefined : typeof mqtt.url === 'string' ? mqtt.url : mqtt.url[0]!;
  if (first !== undefined && parseBrokerUrl(first).username !== undefined && (mqtt.username !== undefined || mqtt.password !== undefined)) {
    warnings.push({ field: 'mqtt.url', message: 'credentials in the URL and in mqtt.username/password: they agree, so both are taken (deprecated: remove them from the URL, keep the fields)' });
  }
  if (first !== undefined && !mqtt.rejectUnauthorized && /^(mqtts|ssl|wss):/.test(first)) {
    warnings.push({ field: 'mqtt.rejectUnauthorized', message: "false: the broker's TLS certificate is not checked, so anyone on the network path can pose as the broker, read verdicts and send commands (give the broker's CA in mqtt.ca instead)" });
  }
  const on = typeof mqtt.commands === 'boolean' ? mqtt.commands : Object.values(mqtt.commands).some(Boolean);
  if (mqtt.url !== undefined && on) {
    warnings.push({
      field: 'mqtt.commands',
      message:
        "commands are on over an external broker, whose ACL this service cannot see: any client the broker lets publish to the command topics can change thresholds and recipes, and their \"by\" is only claimed (give the broker the ACL of docs/mqtt-acl.md, or set mqtt.commands: false)",
    });
  }
  return warnings;
}
