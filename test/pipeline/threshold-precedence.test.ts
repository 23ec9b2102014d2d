/**
 * The README's "Threshold precedence" table is the contract of `resolveThreshold`: every row is a case here, read from
 * the README itself, so the table and the function cannot drift apart (issue 20, item 3). A cell names each source
 * for the frame's camera ("cam"), product and model (m@1); the test builds exactly those sources and checks that the
 * row's `decides` comes out, value and origin.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveKey, resolveThreshold, type ModelRef, type ThresholdSources } from '../../src/pipeline/threshold-sources.js';
import type { ModelSidecar, ThresholdsFile } from '../../src/types.js';
import { repoRoot } from '../setup/paths.js';

/** The first table after the `### Threshold precedence` heading, as rows of cells (backticks dropped). */
function readmeTable(): { header: string[]; rows: string[][] } {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Threshold precedence'));
  const lines = section.split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const table = lines.slice(start, lines.findIndex((l, i) => i > start && !l.startsWith('|')));
  const cells = (line: string) => line.split('|').slice(1, -1).map((c) => c.trim().replaceAll('`', ''));
  return { header: cells(table[0]!), rows: table.slice(2).map(cells) };
}

const sidecar: ModelSidecar = { name: 'm', version: '1', input: { height: 64, width: 64 }, classes: ['bolt', 'washer'], thresholds: { bolt: 0.5 }, defaultThreshold: 0.6, backbone: 'x' };
const model: ModelRef = { id: 'm@1', sidecar };
/** What each source holds when a row says it applies: the outcome names its value. */
const values = { live: 9, config: 7, cameraEntry: 3, productEntry: 2 };

/** The sources a row describes, for the camera "cam" inspecting `product` under m@1. */
function sourcesOf(row: Record<string, string>, product: string): ThresholdSources {
  const live: Record<string, string[]> = {
    'this camera, product and model': [liveKey('cam', product, 'm@1')],
    'another product': [liveKey('cam', 'other', 'm@1')],
    'another model': [liveKey('cam', product, 'm@0')],
    none: [],
  };
  const config: Record<string, { thresholds: Record<string, number>; configModel: string }> = {
    'this product': { thresholds: { [product]: values.config }, configModel: 'm@1' },
    'this product, another model': { thresholds: { [product]: values.config }, configModel: 'm@0' },
    'another product': { thresholds: { other: values.config }, configModel: 'm@1' },
    none: { thresholds: {}, configModel: 'm@1' },
  };
  const files: Record<string, ThresholdsFile[]> = {
    'camera entry': [{ model: 'm@1', targetFalseReject: 0.01, products: { [product]: values.productEntry }, cameras: { cam: { [product]: values.cameraEntry } } }],
    'product entry': [{ model: 'm@1', targetFalseReject: 0.01, products: { [product]: values.productEntry }, cameras: {} }],
    'another model': [{ model: 'm@0', targetFalseReject: 0.01, products: { [product]: values.productEntry }, cameras: { cam: { [product]: values.cameraEntry } } }],
    none: [],
  };
  const cell = <T>(table: Record<string, T>, column: string): T => {
    expect(Object.keys(table), `the ${column} cell "${row[column]}" is one this test knows`).toContain(row[column]);
    return table[row[column]!]!;
  };
  const configured = cell(config, "the camera's threshold in the config");
  return {
    live: new Map(cell(live, 'live set over threshold/set').map((k) => [k, values.live])),
    cameras: new Map([['cam', { product: 'configured', thresholds: configured.thresholds }]]),
    configModel: configured.configModel,
    files: cell(files, 'thresholds file'),
  };
}

/** What the row's `decides` cell says comes out. */
const outcomes: Record<string, { threshold: number; origin: string }> = {
  'live: the value set': { threshold: values.live, origin: 'live' },
  "config: the camera's threshold": { threshold: values.config, origin: 'config' },
  'file: the camera entry': { threshold: values.cameraEntry, origin: 'file' },
  'file: the product entry': { threshold: values.productEntry, origin: 'file' },
  "model: the product's threshold": { threshold: sidecar.thresholds['bolt']!, origin: 'model' },
  'model: defaultThreshold': { threshold: sidecar.defaultThreshold, origin: 'model' },
};

const { header, rows } = readmeTable();

describe('threshold precedence, as the README table says', () => {
  it('should have the columns this test reads, and a row for every origin', () => {
    expect(header).toEqual(['live set over threshold/set', "the camera's threshold in the config", 'thresholds file', "the product in the model's sidecar", 'decides']);
    expect(new Set(rows.map((r) => outcomes[r[4]!]?.origin))).toEqual(new Set(['live', 'config', 'file', 'model']));
  });

  it.each(rows.map((r) => [r.join(' | '), r] as const))('%s', (_name, cells) => {
    const row = Object.fromEntries(header.map((h, i) => [h, cells[i]!]));
    // "calibrated": a product with its own threshold in the sidecar; "not calibrated": one without
    const product = { calibrated: 'bolt', 'not calibrated': 'washer' }[row["the product in the model's sidecar"]!];
    expect(product, `sidecar cell "${row["the product in the model's sidecar"]}"`).toBeDefined();
    expect(outcomes[row['decides']!], `decides cell "${row['decides']}"`).toBeDefined();
    expect(resolveThreshold('cam', product!, model, sourcesOf(row, product!))).toEqual(outcomes[row['decides']!]);
  });
});
