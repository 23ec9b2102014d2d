/** `uniad-edge shadow-report`: the shadow model's comparison with the live one, from the state folder, as markdown. */
import { readFileSync } from 'node:fs';
import type { OriginCounts, ShadowSummary } from '../pipeline/shadow-stats.js';
import { statePaths } from '../state-dir.js';
import { command } from './command.js';
import { stateFolder, stateFolderOptions } from './options.js';

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);

/** `file 120, model 3`: frames decided with a threshold of each origin. */
const origins = (counts: OriginCounts | undefined) =>
  Object.entries(counts ?? {})
    .map(([origin, n]) => `${origin} ${n}`)
    .join(', ') || '–';

/** Pure. A report written before the thresholds were reported has neither `thresholds` nor `caveat`. */
export function shadowReportMarkdown(s: Omit<ShadowSummary, 'thresholds' | 'caveat'> & Partial<Pick<ShadowSummary, 'thresholds' | 'caveat'>> & { at?: number }): string {
  return [
    `# Shadow model ${s.candidate} against live ${s.live}`,
    '',
    '| frames compared | agreement | score correlation | rejects it would add | rejects it would drop | frames skipped (line busy) |',
    '| --- | --- | --- | --- | --- | --- |',
    `| ${s.frames} | ${pct(s.agreement)} | ${s.scoreCorrelation === null ? '–' : s.scoreCorrelation.toFixed(3)} | ${s.rejectsAdded} | ${s.rejectsDropped} | ${s.skipped} |`,
    '',
    `Thresholds (frames by origin, README "Threshold precedence"): live ${origins(s.thresholds?.live)}; candidate ${origins(s.thresholds?.candidate)}.`,
    ...(s.caveat ? ['', `**Not the models alone:** ${s.caveat}.`] : []),
    '',
    `Added (latest): ${s.addedIds.join(', ') || 'none'}`,
    `Dropped (latest): ${s.droppedIds.join(', ') || 'none'}`,
    '',
    'Look at them with `uniad-edge evidence <id>` (live rejects are archived with their heatmaps).',
    ...(s.at === undefined ? [] : ['', `As of ${new Date(s.at).toISOString()}.`]),
    '',
  ].join('\n');
}

export const shadowReport = command({
  name: 'shadow-report',
  summary: 'the shadow model against the live one: agreement, score correlation, rejects it would add or drop (also retained on <prefix>/shadow/<node>)',
  usage: '[--config FILE | --state-dir DIR]',
  options: stateFolderOptions,
  handler: async (values) => {
    const path = statePaths(stateFolder(values)).shadowReport;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      process.stderr.write(`uniad-edge: no shadow report at ${path} (configure shadow.path and run the service; it is written every shadow.summarySeconds)\n`);
      return 1;
    }
    process.stdout.write(shadowReportMarkdown(JSON.parse(text) as ShadowSummary & { at?: number }));
    return 0;
  },
});
