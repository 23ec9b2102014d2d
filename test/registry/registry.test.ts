/**
 * The model registry on its own (src/registry/): its document written whole or not at all, the promotion lock,
 * `add` checking a model against its sidecar and card before anything is copied, promote and rollback.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tsxUrls } from '../../src/entry.js';
import { addModel, cardSha256, sha256File, trainingFacts } from '../../src/registry/add.js';
import { takePromotionLock } from '../../src/registry/lock.js';
import { emptyRegistry, readRegistry, registryFiles, writeRegistry, type RegistryDoc } from '../../src/registry/store.js';
import { promoted, rolledBack } from '../../src/registry/transitions.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';
import { tinyVersion } from '../support/registry-models.js';

const temp = (name: string) => mkdtempSync(join(tmpdir(), `uniad-registry-${name}-`));

const at = new Date('2026-12-01T10:00:00Z');
const entry = (version: string) => ({ version, name: 'tiny', file: `${version}/tiny.onnx`, sha256: 'a'.repeat(64), datasetSha256: null, recipe: null, metrics: null, source: '/x', addedBy: 'ann', addedAt: at.toISOString() });

describe('the registry document', () => {
  it('should read an empty registry where none was written, and read back what was written', () => {
    const dir = temp('doc');
    expect(readRegistry(dir)).toEqual(emptyRegistry);
    const doc: RegistryDoc = { ...emptyRegistry, models: [entry('1.0.0')] };
    writeRegistry(dir, doc);
    expect(readRegistry(dir)).toEqual(doc);
    expect(readdirSync(dir)).toEqual(['registry.json']);
  });

  it('should refuse a registry file that is not valid, naming it', () => {
    const dir = temp('corrupt');
    writeFileSync(registryFiles(dir).doc, '{"format": 1, "active": ');
    expect(() => readRegistry(dir)).toThrow(expect.objectContaining({ code: 'REGISTRY_READ', message: expect.stringContaining(registryFiles(dir).doc) }));
    writeFileSync(registryFiles(dir).doc, JSON.stringify({ ...emptyRegistry, active: 7 }));
    expect(() => readRegistry(dir)).toThrow(expect.objectContaining({ code: 'REGISTRY_READ', message: expect.stringContaining('active') }));
  });

  it('should never let a reader see half a document while another process rewrites it', async () => {
    const dir = temp('atomic');
    const big = (n: number): RegistryDoc => ({ ...emptyRegistry, models: Array.from({ length: 400 }, (_, i) => entry(`${n}.${i}`)) });
    writeRegistry(dir, big(0));
    const store = pathToFileURL(join(repoRoot, 'src/registry/store.ts')).href;
    const script = `import { writeRegistry } from ${JSON.stringify(store)};
      const doc = JSON.parse(process.argv[1]);
      for (let n = 1; n <= 100; n++) writeRegistry(process.argv[2], { ...doc, models: doc.models.map((m) => ({ ...m, version: n + '.' + m.version })) });`;
    const writer = spawn(process.execPath, ['--import', tsxUrls().loader, '--input-type=module', '-e', script, JSON.stringify(big(0)), dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    writer.stderr.on('data', (d) => (stderr += d));
    const ended = new Promise<number | null>((resolve) => writer.on('exit', resolve));
    let reads = 0;
    let running = true;
    void ended.then(() => (running = false));
    while (running) {
      expect(readRegistry(dir).models).toHaveLength(400);
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    expect(await ended, stderr).toBe(0);
    expect(reads).toBeGreaterThan(10);
    expect(readRegistry(dir).models[0]!.version).toBe('100.0.0');
  });
});

describe('the promotion lock', () => {
  it('should refuse a second promotion while the first runs, naming it, and take it once the first released', () => {
    const dir = temp('lock');
    const first = takePromotionLock(dir, { version: '2.0.0', by: 'ann' });
    expect(() => takePromotionLock(dir, { version: '3.0.0', by: 'bob' })).toThrow(expect.objectContaining({ code: 'PROMOTION_RUNNING', message: expect.stringMatching(/promotion of 2\.0\.0 by ann \(PID \d+/) }));
    first.release();
    takePromotionLock(dir, { version: '3.0.0', by: 'bob' }).release();
    expect(existsSync(registryFiles(dir).lock)).toBe(false);
  });

  it("should refuse while another live process holds it, and take over a lock whose process is gone", () => {
    const dir = temp('lock-pid');
    mkdirSync(dir, { recursive: true });
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(registryFiles(dir).lock, JSON.stringify({ version: '2.0.0', by: 'ann', pid: holder.pid, since: at.toISOString() }));
      expect(() => takePromotionLock(dir, { version: '3.0.0', by: 'bob' })).toThrow(expect.objectContaining({ code: 'PROMOTION_RUNNING', message: expect.stringContaining(`PID ${holder.pid}`) }));
    } finally {
      holder.kill();
    }
    const gone = spawnSync('true').pid;
    writeFileSync(registryFiles(dir).lock, JSON.stringify({ version: '2.0.0', by: 'ann', pid: gone, since: at.toISOString() }));
    const lock = takePromotionLock(dir, { version: '3.0.0', by: 'bob' });
    expect(JSON.parse(readFileSync(registryFiles(dir).lock, 'utf8'))).toMatchObject({ version: '3.0.0', by: 'bob', pid: process.pid });
    lock.release();
  });
});

describe('promote and rollback', () => {
  const doc: RegistryDoc = { ...emptyRegistry, models: [entry('1.0.0'), entry('2.0.0')] };

  it('should make a version active and keep the one before for a rollback', () => {
    const one = promoted(doc, '1.0.0', 'ann', at);
    const two = promoted(one, '2.0.0', 'bob', at);
    expect(two).toMatchObject({ active: '2.0.0', previous: [null, '1.0.0'] });
    expect(two.history.at(-1)).toEqual({ at: at.toISOString(), action: 'promote', version: '2.0.0', from: '1.0.0', by: 'bob' });
    const back = rolledBack(two, 'carl', at, 'a reason');
    expect(back).toMatchObject({ active: '1.0.0', previous: [null] });
    expect(back.history.at(-1)).toMatchObject({ action: 'rollback', version: '1.0.0', from: '2.0.0', by: 'carl', cause: 'a reason' });
    expect(rolledBack(back, 'carl', at)).toMatchObject({ active: null, previous: [] });
  });

  it('should refuse a version it does not hold, the active one again, and a rollback with nothing before', () => {
    expect(() => promoted(doc, '9.9.9', 'ann', at)).toThrow(expect.objectContaining({ code: 'REGISTRY_VERSION', message: expect.stringContaining('it holds 1.0.0, 2.0.0') }));
    expect(() => promoted(promoted(doc, '1.0.0', 'ann', at), '1.0.0', 'ann', at)).toThrow(expect.objectContaining({ code: 'REGISTRY_VERSION', message: expect.stringContaining('already the active model') }));
    expect(() => rolledBack(doc, 'ann', at)).toThrow(expect.objectContaining({ code: 'ROLLBACK_NONE' }));
  });
});

describe('models add', () => {
  it('should copy the model, its sidecar and card into <version>/ with its hashes, recipe and metrics', async () => {
    const dir = temp('add');
    const model = tinyVersion(dir, '2.0.0', tinyModels.ok, sha256File(tinyModels.ok));
    const reg = join(dir, 'registry');
    const { entry: e, added } = await addModel(reg, model, { by: 'ann', now: at });
    expect(added).toBe(true);
    expect(e).toEqual({
      version: '2.0.0', name: 'tiny', file: '2.0.0/tiny-2.0.0.onnx', sha256: sha256File(tinyModels.ok), datasetSha256: 'd'.repeat(64),
      recipe: { epochs: 3 }, metrics: { imageAuroc: 91.5, pixelAuroc: 88 }, source: model, addedBy: 'ann', addedAt: at.toISOString(),
    });
    expect(readdirSync(join(reg, '2.0.0')).sort()).toEqual(['tiny-2.0.0.json', 'tiny-2.0.0.md', 'tiny-2.0.0.onnx']);
    expect(readRegistry(reg).models).toEqual([e]);
    expect((await addModel(reg, model, { by: 'bob' })).added).toBe(false);
  });

  it('should refuse a model whose card names another file, and one that does not match its sidecar, copying nothing', async () => {
    const dir = temp('mismatch');
    const reg = join(dir, 'registry');
    const other = tinyVersion(dir, '3.0.0', tinyModels.ok, 'b'.repeat(64));
    await expect(addModel(reg, other, { by: 'ann' })).rejects.toMatchObject({ code: 'MODEL_CARD_MISMATCH', message: expect.stringMatching(new RegExp(`card says sha256 b{64}, the file has ${sha256File(tinyModels.ok)}`)) });
    const wrongSize = tinyVersion(dir, '4.0.0', tinyModels.sidecarSize);
    await expect(addModel(reg, wrongSize, { by: 'ann' })).rejects.toMatchObject({ code: 'MODEL_CONTRACT', message: expect.stringContaining("the sidecar's input.height is 128") });
    expect(existsSync(reg)).toBe(false);
  });

  it('should refuse another file under a version it holds, and a version that cannot name a folder', async () => {
    const dir = temp('taken');
    const reg = join(dir, 'registry');
    await addModel(reg, tinyVersion(dir, '2.0.0'), { by: 'ann' });
    const again = tinyVersion(join(dir, 'again'), '2.0.0', tinyModels.nanMap);
    await expect(addModel(reg, again, { by: 'bob' })).rejects.toMatchObject({ code: 'REGISTRY_VERSION', message: expect.stringContaining('is already in the registry as another file') });
    await expect(addModel(reg, tinyVersion(dir, '.hidden'), { by: 'bob' })).rejects.toMatchObject({ code: 'REGISTRY_VERSION', message: expect.stringContaining('cannot name a folder') });
  });

  it('should read the card sha256 and the training facts, and nothing where they are absent', () => {
    expect(cardSha256(`| files | \`m.onnx\` (1.0 MB, sha256 \`${'c'.repeat(64)}\`), sidecar \`m.json\` |`)).toBe('c'.repeat(64));
    expect(cardSha256('# no table')).toBeUndefined();
    expect(trainingFacts({ name: 'x' })).toEqual({ datasetSha256: null, recipe: null, metrics: null });
  });
});
