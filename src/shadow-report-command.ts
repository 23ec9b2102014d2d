/** `uniad-edge shadow-report`: the shadow model's comparison with the live one, from the state folder, as markdown. */
import { readFileSync } from 'node:fs';
import { loadConfig } from './config.js';
import { UniadError } from './errors.js';
import type { ShadowSummary } from './pipeline/shadow-stats.js';
import { resolveStateDir, statePaths } from './state-dir.js';

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);

/** Pure. */
export function shadowReportMarkdown(s: ShadowSummary & { at?: number }): string {
  return [
    `# Shadow model ${s.candidate} against live ${s.live}`,
    '',
    '| frames compared | agreement | score correlation | rejects it would add | rejects it would drop | frames skipped (line busy) |',
    '| --- | --- | --- | --- | --- | --- |',
    `| ${s.frames} | ${pct(s.agreement)} | ${s.scoreCorrelation === null ? '–' : s.scoreCorrelation.toFixed(3)} | ${s.rejectsAdded} | ${s.rejectsDropped} | ${s.skipped} |`,
    '',
    `Added (latest): ${s.addedIds.join(', ') || 'none'}`,
    `Dropped (latest): ${s.droppedIds.join(', ') || 'none'}`,
    '',
    'Look at them with `uniad-edge evidence <id>` (live rejects are archived with their heatmaps).',
    ...(s.at === undefined ? [] : ['', `As of ${new Date(s.at).toISOString()}.`]),
    '',
  ].join('\n');
}

export async function shadowReportCommand(values: { config?: string; 'state-dir'?: string }): Promise<number> {
  try {
    const stateDir = values.config !== undefined ? loadConfig(values.config).stateDir : resolveStateDir(values['state-dir']);
    const path = statePaths(stateDir).shadowReport;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      process.stderr.write(`uniad-edge: no shadow report at ${path} (configure shadow.path and run the service; it is written every shadow.summarySeconds)\n`);
      return 1;
    }
    process.stdout.write(shadowReportMarkdown(JSON.parse(text) as ShadowSummary & { at?: number }));
    return 0;
  } catch (err) {
    if (!(err instanceof UniadError)) throw err;
    process.stderr.write(`uniad-edge: ${err.message}\n`);
    return err.code === 'USAGE' ? 2 : 1;
  }
}
