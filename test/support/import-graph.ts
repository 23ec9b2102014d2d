import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Files (paths relative to the walked root, `/`-separated) and the files of the same tree each one imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/**
 * The folders of `src/` whose imports are checked (docs/architecture.md, "What may import what"), each with what it
 * may reach besides its own files and the shared modules at `src/`: other checked folders, `config.ts`, or single
 * files of them (`sinks/topics.ts`). Every other checked folder, `config.ts` unless named, and the wiring are
 * forbidden to it; a folder added here may reach nothing until it says so.
 *
 * - The parts a frame passes through and what they publish stand alone: the wiring passes each its settings.
 *   sinks/ (the MQTT client) and evidence/ use images/ to make their PNGs.
 * - calibrate/, evaluation/ and doctor/ are offline commands: they reuse sources/, pipeline/, images/ and the config
 *   so they behave as the runtime does, but never publish or serve (no sinks/, broker/, http/, evidence/), and
 *   none leans on another.
 * - tiles/ (regions and tiles: the grid, cutting, stitching, the ignore mask, the model's score rule on a map) is
 *   pure arithmetic like geometry/, whose letterbox it uses: pipeline/ batches and decides tiled frames with it,
 *   calibrate/ and evaluation/ tile as the runtime does with it.
 * - plc/ (part signals from a PLC: Modbus, OPC UA, MQTT trigger payloads) stands alone, for the service and the
 *   actuator alike; so does parts/ (frames to parts, parts to one decision each).
 * - actuator/ is its own process: it may use plc/ and, of the service's side, only what names the contract the same
 *   way on both sides — the topics, the broker URL parser and the MQTT connect options (TLS, credentials), and the
 *   config's field pieces so its config errors read like the service's. Never the service's MQTT link and outbox,
 *   its config, pipeline/, sources/ or the wiring: a dead service must not take the actuator down with it.
 * - fleet/ is the plant's side of the backbone (consumers, the fleet view): it reads the MQTT contract through sinks/.
 */
export const folderRules: Readonly<Record<string, readonly string[]>> = {
  sources: ['geometry'],
  pipeline: ['tiles'],
  geometry: [],
  tiles: ['geometry'],
  sinks: ['images'],
  broker: ['rollout/message.ts'],
  http: [],
  images: [],
  evidence: ['images'],
  fleet: ['sinks'],
  calibrate: ['sources', 'pipeline', 'images', 'geometry', 'tiles', 'config.ts'],
  evaluation: ['sources', 'pipeline', 'images', 'geometry', 'tiles', 'config.ts'],
  doctor: ['sources', 'pipeline', 'images', 'geometry', 'config.ts'],
  collect: ['sources', 'geometry', 'images', 'evidence', 'training', 'calibrate'],
  training: ['calibrate', 'evaluation', 'pipeline', 'sources', 'images', 'geometry', 'config.ts'],
  plc: [],
  parts: [],
  registry: ['pipeline'],
  rollout: ['pipeline/sidecar.ts'],
  actuator: ['plc', 'sinks/topics.ts', 'sinks/broker-url.ts', 'sinks/connect-options.ts', 'config/fields.ts'],
};

/** Static `import … from`, `export … from`, side-effect `import '…'` and dynamic `import('…')` specifiers. */
const specifier = /(?:^|[\s;}])(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

export function importSpecifiers(source: string): string[] {
  const noComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...noComments.matchAll(specifier)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const posix = (path: string) => path.split(sep).join('/');

/** The graph of relative imports between the .ts files under `root` (`./x.js` resolves to `x.ts`, as NodeNext does). */
export function importGraph(root: string): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(root)) {
    const targets = importSpecifiers(readFileSync(file, 'utf8'))
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => posix(relative(root, resolve(dirname(file), spec.replace(/\.js$/, '.ts')))));
    graph.set(posix(relative(root, file)), targets);
  }
  return graph;
}

/** Imports that name no .ts file of the tree: a misspelt path, or a specifier this parser read wrong. */
export function unresolvedImports(graph: ImportGraph): string[] {
  return [...graph].flatMap(([file, targets]) => targets.filter((to) => !to.startsWith('../') && !graph.has(to)).map((to) => `${file} -> ${to}`));
}

const folderOf = (file: string): string | undefined => Object.keys(folderRules).find((folder) => file.startsWith(`${folder}/`));

const isWiring = (file: string) => file === 'service.ts' || file.startsWith('service/') || file === 'cli.ts' || file.startsWith('commands/') || file === 'demo.ts';

/**
 * What a file of `folder` finds at `to`: its own folder or a shared module (`pass`: its imports count as the file's),
 * another folder, config.ts or a single file of them it may use (`stop`: those follow their own rules), or why it
 * must not depend on it:
 * another checked folder, the config (`config.ts`, `config/`), or the wiring above the folders (`service.ts`, `service/`, `cli.ts`, `commands/`, `demo.ts`).
 */
function verdictFor(folder: string, to: string): 'pass' | 'stop' | { readonly reason: string } {
  const may = folderRules[folder]!;
  const other = folderOf(to);
  if (other === folder) return 'pass';
  if (other !== undefined) return may.includes(other) || may.includes(to) ? 'stop' : { reason: `${folder}/ must not depend on ${other}/` };
  if (to === 'config.ts' || to.startsWith('config/')) return may.includes('config.ts') || may.includes(to) ? 'stop' : { reason: `${folder}/ must not depend on ${to} (declare what it needs; the wiring passes config in)` };
  if (isWiring(to)) return { reason: `${folder}/ must not depend on the wiring (${to})` };
  return 'pass';
}

/**
 * Every chain of imports from a file of a checked folder to something that folder must not depend on, directly or
 * through a shared module at `src/`; one line per offending (file, target): `a.ts -> b.ts -> c.ts: reason`.
 */
export function forbiddenEdges(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const start of graph.keys()) {
    const folder = folderOf(start);
    if (folder === undefined) continue;
    const via = new Map<string, string>([[start, '']]);
    const queue = [start];
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const to of graph.get(file) ?? []) {
        if (via.has(to)) continue;
        via.set(to, file);
        const verdict = verdictFor(folder, to);
        if (verdict === 'pass') queue.push(to);
        if (typeof verdict !== 'object') continue;
        const chain = [to];
        for (let at = file; at !== ''; at = via.get(at)!) chain.unshift(at);
        found.push(`${chain.join(' -> ')}: ${verdict.reason}`);
      }
    }
  }
  return found;
}

/** Import cycles, each as the files of one strongly connected component (Tarjan), sorted. */
export function importCycles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const to of graph.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}
