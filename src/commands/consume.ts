/**
 * `uniad-edge consume`: one member of a consumer group reading the verdicts of every box from the NATS JetStream
 * backbone (fleet/verdict-consumer.ts), each verdict id once, as JSON lines on stdout; statistics on stderr when a
 * signal stops it. Start several with the same --group to spread the load.
 */
import { hostname } from 'node:os';
import { uniadError } from '../errors.js';
import { VerdictConsumer } from '../fleet/verdict-consumer.js';
import { command } from './command.js';
import { loggerAt, logLevelOption, secondsValue } from './options.js';

/** `--replicas`: 1, 3 or 5 (JetStream's own choices). */
function replicasValue(value: string | undefined): number {
  if (value === undefined) return 3;
  if (!['1', '3', '5'].includes(value)) throw uniadError('USAGE', `--replicas must be 1, 3 or 5 (at most the cluster's nodes), got "${value}"`);
  return Number(value);
}

/** `--nats`: comma-separated nats:// URLs. */
export function natsServers(value: string): string[] {
  const urls = value.split(',').map((u) => u.trim()).filter((u) => u !== '');
  const bad = urls.find((u) => !/^(nats|tls):\/\/[^/\s]+$/.test(u));
  if (urls.length === 0 || bad !== undefined) throw uniadError('USAGE', `--nats takes nats://host:port URLs of the cluster's nodes, comma-separated${bad === undefined ? '' : `, got "${bad}"`}`);
  return urls;
}

export const consume = command({
  name: 'consume',
  summary: 'read the verdicts of every box from a NATS JetStream backbone, each id once, as JSON lines (a consumer group member)',
  usage: '--nats URLS --prefix PREFIX [--group NAME] [--stream NAME] [--create-stream] [--replicas N] [--member NAME] [--ack-wait S] [--log-level LEVEL]',
  options: {
    nats: { type: 'string', value: 'URLS', required: true, description: 'the cluster nodes, comma-separated: nats://n1:4222,nats://n2:4222,nats://n3:4222' },
    prefix: { type: 'string', value: 'PREFIX', required: true, description: 'the boxes\' MQTT topic prefix (mqtt.prefix), e.g. uniad/plant1; uniad/+ for every site' },
    group: { type: 'string', value: 'NAME', description: 'consumer group: members with the same name share the verdicts (default: plant)' },
    stream: { type: 'string', value: 'NAME', description: 'the JetStream stream of verdicts (default: UNIAD_VERDICTS)' },
    'create-stream': { type: 'boolean', description: 'create the stream when it is missing (subjects of every verdict and reject under --prefix, kept 7 days)' },
    replicas: { type: 'string', value: 'N', description: 'replicas of a stream --create-stream makes: 1, 3 or 5 (default 3)' },
    member: { type: 'string', value: 'NAME', description: 'this member\'s name in dedup claims and logs (default: host-pid)' },
    'ack-wait': { type: 'string', value: 'S', description: 'seconds before a verdict a member took and did not acknowledge goes to another; set when the group is made (default 30). A claim of a member that died is taken over after twice this, at least 60 s' },
    'log-level': logLevelOption('info'),
  },
  notes: `Credentials: UNIAD_NATS_USER and UNIAD_NATS_PASSWORD (environment), when the cluster wants them.
Each line on stdout is one verdict JSON as a box published it. SIGTERM or SIGINT stop it after the verdict in hand;
what was not acknowledged goes to another member. See docs/fleet.md, "Central consumers".`,
  handler: async (values) => {
    const logger = loggerAt(values['log-level'], 'info');
    if (values.replicas !== undefined && !values['create-stream']) throw uniadError('USAGE', '--replicas goes with --create-stream (an existing stream keeps its replicas)');
    const consumer = await VerdictConsumer.start({
      servers: natsServers(values.nats),
      username: process.env.UNIAD_NATS_USER,
      password: process.env.UNIAD_NATS_PASSWORD,
      prefix: values.prefix,
      stream: values.stream ?? 'UNIAD_VERDICTS',
      group: values.group ?? 'plant',
      member: values.member ?? `${hostname()}-${process.pid}`,
      ackWaitMs: (secondsValue('--ack-wait', values['ack-wait'], 1, 3600) ?? 30) * 1000,
      ...(values['create-stream'] && { createStream: { replicas: replicasValue(values.replicas), maxAgeMs: 7 * 24 * 3600_000 } }),
      handle: (verdict) => void process.stdout.write(`${JSON.stringify(verdict)}\n`),
      logger,
    });
    logger.info('consume: reading', { prefix: values.prefix, group: values.group ?? 'plant' });
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    await consumer.close();
    logger.info('consume: stopped', { signal, ...consumer.stats() });
    return 0;
  },
});
