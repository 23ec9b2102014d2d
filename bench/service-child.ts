/**
 * The real service (`startService`, the code `uniad-edge run` runs) in a process of its own, for bench/pipeline-run.ts:
 * its RSS is the service's alone and its capture processes are its children. Records the stage times of every
 * decision and hands them over when told to stop.
 *
 *   node --import tsx bench/service-child.ts CONFIG.json RECORDS.json     (started by pipeline-run.ts over IPC)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startService } from '../src/service.js';
import type { Decision } from '../src/types.js';
import type { ChildMessage, ParentMessage, StageRecord } from './stage-record.js';

const [configPath, recordsPath] = process.argv.slice(2) as [string, string];
const cfg = parseConfig(JSON.parse(readFileSync(configPath, 'utf8')));
const send = (msg: ChildMessage) => process.send!(msg);
const records: StageRecord[] = [];

const record = (d: Decision) => {
  const run = d.inference?.run;
  records.push({
    id: d.verdict.id,
    reason: d.verdict.reason,
    capturedAt: d.verdict.capturedAt,
    batchedAt: d.times?.batchedAt ?? NaN,
    runStartedAt: run?.startedAt ?? NaN,
    runEndedAt: run?.endedAt ?? NaN,
    batchSize: run?.batchSize ?? 0,
    decidedAt: d.times?.decidedAt ?? NaN,
  });
};

const service = await startService(cfg, { logger: createLogger('error', 'bench-service'), onDecision: record });
send({ type: 'started', brokerUrl: service.brokerUrl ?? '', provider: service.provider });
process.on('message', (msg: ParentMessage) => {
  if (msg.type !== 'stop') return;
  void service.stop('bench done').then(() => {
    writeFileSync(recordsPath, JSON.stringify(records));
    send({ type: 'stopped', counts: service.counts().decisions });
    process.disconnect();
  });
});
