/** `uniad-edge models list | add MODEL | promote VERSION | rollback`: the models on the box (src/registry/). */
import { userInfo } from 'node:os';
import { uniadError } from '../errors.js';
import { createLogger } from '../log.js';
import { addModel } from '../registry/add.js';
import { readLive, type LiveReport } from '../registry/live.js';
import { promoteVersion, rollbackVersion } from '../registry/promotion.js';
import { readRegistry, type RegistryDoc } from '../registry/store.js';
import { versionName } from '../registry/transitions.js';
import { statePaths } from '../state-dir.js';
import { command } from './command.js';
import { stateFolder, stateFolderOptions } from './options.js';

const actions = ['list', 'add', 'promote', 'rollback'] as const;
type Action = (typeof actions)[number];

/** The person at the terminal: under sudo, the one who ran sudo. */
export function whoAmI(): string {
  const sudo = process.env.SUDO_USER;
  if (sudo) return sudo;
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? `uid ${process.getuid?.() ?? '?'}`;
  }
}

const short = (hash: string | null) => (hash === null ? '–' : hash.slice(0, 12));
const auroc = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toFixed(1));

/** The registry as a person reads it. Pure. */
export function registryListing(doc: RegistryDoc, live?: LiveReport): string {
  const state = (v: string) => [v === doc.active ? 'active' : '', live?.version === v ? 'live' : '', doc.previous.includes(v) ? 'earlier' : ''].filter(Boolean).join(', ');
  const promotedBy = (v: string) => {
    const p = doc.history.filter((e) => e.action === 'promote' && e.version === v).at(-1);
    return p === undefined ? '–' : `${p.by} ${p.at}`;
  };
  const rows = doc.models.map((m) => `| ${m.version} | ${state(m.version) || '–'} | ${m.name} | ${short(m.sha256)} | ${short(m.datasetSha256)} | ${auroc(m.metrics?.imageAuroc)} / ${auroc(m.metrics?.pixelAuroc)} | ${m.addedBy} ${m.addedAt} | ${promotedBy(m.version)} |`);
  const lines = [
    `Active: ${versionName(doc.active)}${live === undefined ? ' (no service has reported what it runs)' : `; the service runs ${versionName(live.version)} (${live.model})`}.`,
    ...(doc.previous.length > 0 ? [`A rollback returns to ${versionName(doc.previous.at(-1)!)}.`] : []),
    ...(live?.probation ? [`Probation of ${live.probation.version}: ${live.probation.state === 'running' ? `running until ${new Date(live.probation.until).toISOString()}` : live.probation.state}.`] : []),
    ...(live?.rolledBack ? [`Rolled back by itself at ${new Date(live.rolledBack.at).toISOString()}: ${versionName(live.rolledBack.from)} → ${versionName(live.rolledBack.to)}: ${live.rolledBack.cause}.`] : []),
    '',
    '| version | state | name | sha256 | dataset sha256 | held-out AUROC image / pixel | added | promoted |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...(rows.length > 0 ? rows : ['| (none: uniad-edge models add MODEL.onnx) | | | | | | | |']),
    '',
    'History (latest 10):',
    ...doc.history.slice(-10).map((e) => `  ${e.at} ${e.action} ${versionName(e.version)}${e.from !== undefined ? ` (was ${versionName(e.from)})` : ''} by ${e.by}${e.cause ? `: ${e.cause}` : ''}`),
    '',
  ];
  return lines.join('\n');
}

function check(action: string, operand: string | undefined): Action {
  if (!(actions as readonly string[]).includes(action)) throw uniadError('USAGE', `models takes ${actions.join(', ')}, got "${action}"`);
  const needs = action === 'add' ? 'MODEL (the .onnx file)' : action === 'promote' ? 'VERSION' : undefined;
  if (needs !== undefined && operand === undefined) throw uniadError('USAGE', `"models ${action}" needs ${needs}`);
  if (needs === undefined && operand !== undefined) throw uniadError('USAGE', `"models ${action}" takes no argument, got "${operand}"`);
  return action as Action;
}

export const models = command({
  name: 'models',
  summary: 'the models on the box: list them, add one, promote a version, roll back (the running service swaps without a restart)',
  usage: 'list | add MODEL | promote VERSION | rollback [--config FILE | --state-dir DIR] [--by NAME] [--wait SECONDS]',
  operands: [
    { name: 'ACTION', description: 'list, add, promote or rollback' },
    { name: 'ARGUMENT', description: 'add: the .onnx file (its sidecar and model card beside it); promote: the version', optional: true },
  ],
  options: {
    ...stateFolderOptions,
    by: { type: 'string', value: 'NAME', description: 'who the registry names for this change (default: the user, or who ran sudo)' },
    wait: { type: 'string', value: 'SECONDS', description: 'how long promote and rollback wait for the running service to apply it (default: 300)' },
  },
  notes: `The registry lives in the state folder's models/: registry.json (every model, the active one, the history),
one folder a version with the model, its sidecar and its card, promotion.lock while a promotion runs, live.json
(what the running service runs). promote and rollback write the active version, then send SIGHUP to the service
that holds the state folder's lock and wait for it to answer in live.json; a model it cannot load is refused and
the registry put back. docs/lifecycle.md, "Models on the box".`,
  handler: async (values, [given, operand]) => {
    const action = check(given!, operand);
    const stateDir = stateFolder(values);
    const dir = statePaths(stateDir).models;
    const by = values.by ?? whoAmI();
    const waitS = values.wait === undefined ? 300 : Number(values.wait);
    if (!Number.isFinite(waitS) || waitS <= 0) throw uniadError('USAGE', `--wait must be a number of seconds > 0, got "${values.wait}"`);
    const say = (line: string) => process.stderr.write(`uniad-edge: ${line}\n`);
    switch (action) {
      case 'list':
        process.stdout.write(registryListing(readRegistry(dir), readLive(dir)));
        return 0;
      case 'add': {
        const { entry, added } = await addModel(dir, operand!, { by, logger: createLogger('warn') });
        say(added ? `added ${entry.version} (${entry.name}, sha256 ${entry.sha256}) as ${dir}/${entry.file}` : `${entry.version} is in the registry already, the same file`);
        return 0;
      }
      case 'promote':
        await promoteVersion(stateDir, operand!, { by, waitMs: waitS * 1000, say });
        return 0;
      case 'rollback':
        await rollbackVersion(stateDir, { by, waitMs: waitS * 1000, say });
        return 0;
    }
  },
});
