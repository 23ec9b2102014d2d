/** `uniad-edge evidence <id>`: where the archive keeps a verdict's evidence, and the verdict. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './config.js';
import { UniadError, uniadError } from './errors.js';
import { findEvidence, readEvidenceVerdict } from './sinks/evidence/archive.js';
import { resolveStateDir, statePaths } from './state-dir.js';

/** Resolves to the exit code: 0 found, 1 not found, 2 usage. */
export async function evidenceCommand(id: string | undefined, values: { config?: string; 'state-dir'?: string }): Promise<number> {
  try {
    if (id === undefined) throw uniadError('USAGE', 'evidence needs a verdict id, e.g. uniad-edge evidence cam1:lx3k2a:1042');
    const stateDir = values.config !== undefined ? loadConfig(values.config).stateDir : resolveStateDir(values['state-dir']);
    const archive = statePaths(stateDir).archive;
    const dir = findEvidence(archive, id);
    if (dir === undefined) {
      process.stderr.write(`uniad-edge: no evidence for "${id}" in ${archive} (only rejects and sampled good frames are kept, within archive.maxMegabytes and archive.maxAgeDays)\n`);
      return 1;
    }
    process.stdout.write(`${dir}\n${readdirSync(dir).sort().map((f) => `  ${join(dir, f)}\n`).join('')}${JSON.stringify(readEvidenceVerdict(dir), null, 2)}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof UniadError)) throw err;
    process.stderr.write(`uniad-edge: ${err.message}\n`);
    return err.code === 'USAGE' ? 2 : 1;
  }
}
