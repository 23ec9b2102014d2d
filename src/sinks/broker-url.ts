/**
 * A broker URL, parsed once, the WHATWG way (`new URL`), into what MQTT.js is given as options: MQTT.js's own
 * parsing (`url.parse`) reads a URL differently (a `#` in a password ends its host part there, and Node warns with
 * the whole URL). User name and password come out percent-decoded and leave the URL: from here on the URL holds no
 * secret and may be logged. Pure.
 */
import { uniadError } from '../errors.js';

export interface BrokerAddress {
  readonly protocol: 'mqtt' | 'mqtts' | 'ws' | 'wss';
  readonly hostname: string;
  readonly port: number;
  /** WebSocket path (`/mqtt`); `/` for TCP. */
  readonly path: string;
  /** The URL without user info: safe to log. */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
}

const protocols = { mqtt: 'mqtt', tcp: 'mqtt', mqtts: 'mqtts', ssl: 'mqtts', ws: 'ws', wss: 'wss' } as const;
const defaultPorts = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 } as const;

/** `field` names the config field in errors; an error never shows the URL (it may hold a password). */
export function parseBrokerUrl(text: string, field = 'mqtt.url'): BrokerAddress {
  const fix = 'a "#", "?", "@", "%" or "/" in a user name or password must be percent-encoded (%23 %3F %40 %25 %2F), or give them in mqtt.username and mqtt.password';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw uniadError('MQTT_URL', field, `it is not a URL (${fix}); it is not shown here because it may hold a password`);
  }
  const scheme = url.protocol.slice(0, -1) as keyof typeof protocols;
  const protocol = protocols[scheme];
  if (protocol === undefined) throw uniadError('MQTT_URL', field, `scheme "${scheme}" (use mqtt://, mqtts://, ws:// or wss://)`);
  if (url.hash !== '' || url.search !== '') throw uniadError('MQTT_URL', field, `it has a "#" or "?" part (${fix})`);
  if (url.hostname === '') throw uniadError('MQTT_URL', field, 'it names no host');
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = url.username === '' ? undefined : decodeURIComponent(url.username);
    password = url.password === '' ? undefined : decodeURIComponent(url.password);
  } catch {
    throw uniadError('MQTT_URL', field, `its user name or password is not valid percent-encoding (${fix})`);
  }
  const port = url.port === '' ? defaultPorts[protocol] : Number(url.port);
  const path = url.pathname === '' ? '/' : url.pathname;
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const safe = `${scheme}://${url.host}${protocol === 'ws' || protocol === 'wss' ? path : ''}`;
  return { protocol, hostname, port, path, url: safe, username, password };
}

/** `mqtt.url` as the config holds it: one URL, or the nodes of a clustered broker. */
export type BrokerUrls = string | readonly string[];

/** Every URL of `urls` parsed, in order; `field[i]` names a bad one in a list. */
export function parseBrokerUrls(urls: BrokerUrls, field = 'mqtt.url'): BrokerAddress[] {
  return typeof urls === 'string' ? [parseBrokerUrl(urls, field)] : urls.map((u, i) => parseBrokerUrl(u, `${field}[${i}]`));
}

/** Where MQTT.js connects, from a parsed address (its credentials are the connect options' business). */
export function addressOptions(a: BrokerAddress): Pick<BrokerAddress, 'protocol' | 'hostname' | 'port' | 'path'> {
  return { protocol: a.protocol, hostname: a.hostname, port: a.port, path: a.path };
}
