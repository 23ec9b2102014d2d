/** `uniad-edge rollout start MODEL`: a model in the store rolled out to the fleet (src/rollout/, docs/rollout.md). */
import { readFileSync } from 'node:fs';
import { uniadError } from '../errors.js';
import { publishRollout, rolloutOf } from '../rollout/publish.js';
import { rolloutStatusTopic } from '../rollout/message.js';
import { command } from './command.js';
import { whoAmI } from './models.js';

export const rollout = command({
  name: 'rollout',
  summary: 'roll a model out to the fleet over MQTT: every node downloads and verifies it, the canary promotes first',
  usage: 'start MODEL --url-base URL --canary NODE --broker URL --prefix PREFIX [--username NAME] [--password-file FILE] [--id ID] [--by NAME]',
  operands: [
    { name: 'ACTION', description: 'start' },
    { name: 'MODEL', description: 'the .onnx file as it lies in the store (its sidecar beside it): hashed and its version read here' },
  ],
  options: {
    'url-base': { type: 'string', value: 'URL', required: true, description: 'where the store serves the folder of MODEL and its sidecar, e.g. http://models.plant.local/line3/' },
    canary: { type: 'string', value: 'NODE', required: true, description: 'the node that promotes first; the others wait for its probation to pass' },
    broker: { type: 'string', value: 'URL', required: true, description: 'the fleet broker, e.g. mqtt://broker.plant.local:1883' },
    prefix: { type: 'string', value: 'PREFIX', required: true, description: "the nodes' mqtt.prefix, e.g. uniad/plant1" },
    username: { type: 'string', value: 'NAME', description: 'an account of role fleet-admin on the broker' },
    'password-file': { type: 'string', value: 'FILE', description: "a file holding the account's password (one trailing newline dropped)" },
    id: { type: 'string', value: 'ID', description: 'names the rollout (default: VERSION-TIME); a new id is a new rollout' },
    by: { type: 'string', value: 'NAME', description: 'who starts it, for the registries (default: the user, or who ran sudo)' },
  },
  notes: `The rollout (retained, QoS 1, on PREFIX/fleet/rollout) carries the URLs and sha256 of the model and its
sidecar, never the files. It is read back from the broker: a broker that did not keep it (an account without
the fleet-admin role) is ROLLOUT_NOT_ACCEPTED. Each node answers on PREFIX/fleet/rollout/status/NODE.
docs/rollout.md.`,
  handler: async (values, [action, model]) => {
    if (action !== 'start') throw uniadError('USAGE', `rollout takes start, got "${action}"`);
    const password = values['password-file'] === undefined ? undefined : readFileSync(values['password-file'], 'utf8').replace(/\n$/, '');
    const message = rolloutOf({ model: model!, urlBase: values['url-base'], canary: values.canary, by: values.by ?? whoAmI(), ...(values.id === undefined ? {} : { id: values.id }) });
    await publishRollout({ url: values.broker, prefix: values.prefix, ...(values.username === undefined ? {} : { username: values.username }), ...(password === undefined ? {} : { password }) }, message);
    process.stdout.write(`${JSON.stringify(message, null, 2)}\n`);
    process.stderr.write(`uniad-edge: rollout ${message.id} of ${message.version} started, canary ${message.canary}; each node answers on ${rolloutStatusTopic(values.prefix, '<node>')}\n`);
    return 0;
  },
});
