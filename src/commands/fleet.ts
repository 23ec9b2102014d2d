/** `uniad-edge fleet`: every node, line and camera from the retained statuses on the backbone, as a table or JSON. */
import { fleetTable } from '../fleet/fleet-table.js';
import { readStatuses } from '../fleet/read-statuses.js';
import { command } from './command.js';
import { secondsValue } from './options.js';

export const fleet = command({
  name: 'fleet',
  summary: 'every node, line and camera of the plant from the retained statuses on the backbone: state, model, rates, reject rate, causes, page',
  usage: '--mqtt URLS --prefix PREFIX [--stale-after S] [--json]',
  options: {
    mqtt: { type: 'string', value: 'URLS', required: true, description: 'the backbone\'s MQTT URLs, comma-separated (mqtt://n1:1883,mqtt://n2:1883)' },
    prefix: { type: 'string', value: 'PREFIX', required: true, description: 'the nodes\' topic prefix (mqtt.prefix), e.g. uniad/plant1' },
    'stale-after': { type: 'string', value: 'S', description: 'an online status older than this many seconds shows as stale (default 60; keep it above mqtt.statsIntervalSeconds)' },
    json: { type: 'boolean', description: 'the rows as JSON instead of a table' },
  },
  notes: 'Credentials: UNIAD_MQTT_USER and UNIAD_MQTT_PASSWORD (environment), when the broker wants them. See docs/fleet.md.',
  handler: async (values) => {
    const staleAfterMs = (secondsValue('--stale-after', values['stale-after'], 1, 86_400) ?? 60) * 1000;
    const urls = values.mqtt.split(',').map((u) => u.trim()).filter((u) => u !== '');
    const statuses = await readStatuses({ urls, prefix: values.prefix, username: process.env.UNIAD_MQTT_USER, password: process.env.UNIAD_MQTT_PASSWORD });
    const rows = statuses.view(Date.now(), staleAfterMs);
    process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : fleetTable(rows));
    if (rows.length === 0) process.stderr.write(`uniad-edge: no status under ${values.prefix}/status/ (check --prefix against the nodes' mqtt.prefix)\n`);
    return rows.length === 0 ? 1 : 0;
  },
});
