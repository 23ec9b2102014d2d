/**
 * `uniad-edge evidence ID`: where the archive keeps a verdict's evidence, its files, and the verdict; for a part's
 * decision, its JSON and where each of its frames' evidence is.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findEvidence, readEvidenceVerdict } from '../evidence/archive.js';
import { statePaths } from '../state-dir.js';
import { command } from './command.js';
import { stateFolder, stateFolderOptions } from './options.js';

export const evidence = command({
  name: 'evidence',
  summary: "the archived frame, heatmap and verdict of a reject, or a rejected part's decision and frames (state folder's archive/)",
  usage: 'ID [--config FILE | --state-dir DIR]',
  operands: [{ name: 'ID', description: 'a verdict id, e.g. cam1:lx3k2a:1042, or a part id, e.g. cam1:part:1234' }],
  options: stateFolderOptions,
  handler: async (values, [id]) => {
    const archive = statePaths(stateFolder(values)).archive;
    const dir = findEvidence(archive, id!);
    if (dir === undefined) {
      process.stderr.write(`uniad-edge: no evidence for "${id}" in ${archive} (only rejects and sampled good frames are kept, within archive.maxMegabytes and archive.maxAgeDays)\n`);
      return 1;
    }
    const entry = readEvidenceVerdict(dir) as { verdictIds?: unknown };
    const frames = Array.isArray(entry.verdictIds) ? entry.verdictIds.map((v) => `frame ${String(v)}: ${findEvidence(archive, String(v)) ?? '(not archived: only rejected frames are)'}\n`).join('') : '';
    process.stdout.write(`${dir}\n${readdirSync(dir).sort().map((f) => `  ${join(dir, f)}\n`).join('')}${JSON.stringify(entry, null, 2)}\n${frames}`);
    return 0;
  },
});
