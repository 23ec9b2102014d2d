/** `uniad-edge doctor` on GenICam cameras: found among the cameras Aravis discovers, by serial or id, or listed as missing with what it does see. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { doctor } from '../../src/doctor/doctor.js';
import type { Finding } from '../../src/doctor/findings.js';
import { packageRoot } from '../../src/package-root.js';
import { skipReason, startFakeGige, type FakeGige } from '../support/fake-gige.js';

const skip = skipReason();
const byCheck = (findings: readonly Finding[], check: string) => findings.filter((f) => f.check === check);

describe.skipIf(skip !== undefined)(`doctor on GenICam cameras${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let fake: FakeGige;
  beforeAll(async () => {
    fake = await startFakeGige();
  }, 30_000);
  afterAll(async () => fake?.stop());

  it('should find a camera by serial or id with its model and address, and list what Aravis sees for one it does not find', async () => {
    const config = parseConfig({
      stateDir: mkdtempSync(join(tmpdir(), 'doctor-genicam-')),
      cameras: [
        { id: 'serial', line: 'l', product: 'p', source: `genicam://${fake.serial}` },
        { id: 'named', line: 'l', product: 'p', source: `genicam://${fake.id}` },
        { id: 'absent', line: 'l', product: 'p', source: 'genicam://Basler-99999999' },
      ],
      model: { path: join(packageRoot, 'models', 'demo', 'uniad-demo.onnx') },
    });
    const findings = await doctor({ config });
    const found = `genicam://${fake.serial}: Aravis Fake, serial ${fake.serial}, at ${fake.address} (GigEVision)`;
    expect(byCheck(findings, 'camera serial')).toEqual([{ check: 'camera serial', status: 'ok', detail: found }]);
    expect(byCheck(findings, 'camera named')[0]).toMatchObject({ status: 'ok', detail: `genicam://${fake.id}: Aravis Fake, serial ${fake.serial}, at ${fake.address} (GigEVision)` });
    expect(byCheck(findings, 'camera absent')[0]).toMatchObject({
      status: 'missing',
      detail: expect.stringContaining(`genicam://Basler-99999999: not among the cameras Aravis finds: `),
      fix: expect.stringContaining('docs/genicam.md'),
    });
    expect(byCheck(findings, 'camera absent')[0]!.detail).toContain(`${fake.id} (serial ${fake.serial}, ${fake.address})`);
  }, 60_000);
});
