/**
 * One run of the full pipeline: the real service in its own process (service-child.ts) with N capture processes,
 * the embedded MQTT broker, and a real MQTT subscriber here that timestamps every verdict it receives. Gives frames
 * decided per second, the mean batch size, capture→verdict-received latency split by stage, and RSS per process.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { entryPoint } from '../src/entry.js';
import { preciseNow } from '../src/pipeline/precise-clock.js';
import { childPids, rssMb } from './process-memory.js';
import type { ChildMessage, ParentMessage, StageRecord } from './stage-record.js';
import { mean, spread, type Spread } from './stats.js';

export interface CameraSource {
  readonly source: string;
  readonly loop?: boolean;
  /** Paced rate of a `test:` source; absent for a file played as fast as the model takes it. */
  readonly fps?: number;
  /** The camera's `size` and `regions` (config `cameras[]`): tiled cameras (tiles.ts). */
  readonly size?: { readonly width: number; readonly height: number };
  readonly regions?: readonly object[];
}

export interface PipelineRunOptions {
  readonly modelPath: string;
  readonly cameras: readonly CameraSource[];
  readonly batchMaxSize: number;
  readonly batchMaxWaitMs: number;
  /** onnxruntime intra-op threads; 0 = its default. */
  readonly threads: number;
  readonly warmupS: number;
  readonly measureS: number;
}

/** Milliseconds per stage, over the frames received in the measuring window. */
export interface LatencySplit {
  /** capture → batch complete. */
  readonly batching: Spread;
  /** batch complete → session.run starts in the worker (waiting for the engine, packing, transfer). */
  readonly queueing: Spread;
  readonly inference: Spread;
  /** session.run returns → verdict received by the subscriber (transfer back, decide, outbox, broker, subscriber). */
  readonly publish: Spread;
  /** The first part of publish: session.run returns → decision made on the main thread (transfer back, decide). */
  readonly decide: Spread;
  /** The rest of publish: decision made → verdict received (sinks, outbox, broker, subscriber). */
  readonly deliver: Spread;
  readonly total: Spread;
  /** total − inference, per frame. */
  readonly added: Spread;
}

export interface PipelineRunResult {
  readonly cameras: number;
  /** Paced rate of each camera; absent when files played as fast as the model took them. */
  readonly cameraFps?: number;
  readonly batchMaxSize: number;
  readonly batchMaxWaitMs: number;
  /** Verdicts with a score (ok/anomaly) received per second in the window. */
  readonly fps: number;
  /** Frames per session.run in the window. */
  readonly meanBatch: number;
  readonly framesMeasured: number;
  /** Verdicts of frames never scored (deadline, error) in the window. */
  readonly unscored: number;
  readonly latency: LatencySplit;
  readonly rss: { readonly serviceMb: number; readonly captureMb: readonly number[] };
  readonly provider: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const patterns = ['ball', 'smpte', 'snow', 'pinwheel', 'checkers-8', 'zone-plate', 'spokes', 'gradient'];

/** `n` paced `test:` cameras, `fps` each. */
export const testCameras = (n: number, fps: number): CameraSource[] => Array.from({ length: n }, (_, i) => ({ source: `test:${patterns[i % patterns.length]}`, fps }));

/**
 * `n` cameras playing `files` in turn, as fast as the model takes them (a recorded file waits for the model: no frame
 * is shed), each looping.
 */
export const fileCameras = (n: number, files: readonly string[]): CameraSource[] => Array.from({ length: n }, (_, i) => ({ source: files[i % files.length]!, loop: true }));

export async function runPipeline(o: PipelineRunOptions): Promise<PipelineRunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-bench-pipe-'));
  const configPath = join(dir, 'config.json');
  const recordsPath = join(dir, 'records.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      site: 'bench',
      node: 'bench',
      stateDir: join(dir, 'state'),
      // The demo video mixes products the model knows and does not; a benchmark measures speed, so one stated
      // threshold judges them all.
      cameras: o.cameras.map((c, i) => ({ id: `cam${i + 1}`, line: 'line1', product: 'mixed', allowUnknownProduct: true, threshold: 1, source: c.source, ...(c.fps ? { fps: c.fps } : {}), ...(c.loop ? { loop: true } : {}), ...(c.size ? { size: c.size } : {}), ...(c.regions ? { regions: c.regions } : {}) })),
      model: { path: o.modelPath, providers: ['cpu'], batchMaxSize: o.batchMaxSize, batchMaxWaitMs: o.batchMaxWaitMs, threads: o.threads, deadlineMs: 10_000 },
      embeddedBroker: { port: 0, wsPort: 0 },
      dashboard: { enabled: false },
    }),
  );
  const { file, execArgv } = entryPoint(import.meta.url, './service-child.js');
  const child = fork(file, [configPath, recordsPath], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: ChildMessage[] = [];
  const waitFor = (type: ChildMessage['type'], timeoutMs = 120_000) =>
    new Promise<ChildMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench: the service child sent no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        const m = messages.find((x) => x.type === type);
        if (m === undefined) return;
        clearTimeout(timer);
        child.off('message', check);
        child.off('exit', died);
        resolve(m);
      };
      const died = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`bench: the service child exited (${code}) before "${type}"`));
      };
      child.on('message', check).on('exit', died);
      check();
    });
  child.on('message', (m: ChildMessage) => messages.push(m));

  try {
    const started = await waitFor('started');
    if (started.type !== 'started') throw new Error('unreachable');
    const received = new Map<string, number>();
    const client = await mqtt.connectAsync(started.brokerUrl, { protocolVersion: 4 });
    client.on('message', (_topic, payload) => {
      const at = preciseNow();
      received.set((JSON.parse(payload.toString()) as { id: string }).id, at);
    });
    await client.subscribeAsync('uniad/bench/+/+/verdict', { qos: 1 });

    // Warm-up starts at the first verdict: capture processes take seconds to start on a loaded machine.
    const firstBy = Date.now() + 120_000;
    while (received.size === 0 && Date.now() < firstBy) await sleep(50);
    if (received.size === 0) throw new Error('bench: no verdict within 120 s of the service start');
    await sleep(o.warmupS * 1000);
    const t0 = preciseNow();
    // RSS sampled every second; the last sample that saw every capture process counts (a looping file camera's
    // process can be between two runs at any one instant).
    let rss = { serviceMb: NaN, captureMb: [] as number[] };
    const endAt = Date.now() + o.measureS * 1000;
    while (Date.now() < endAt) {
      await sleep(Math.min(1000, Math.max(0, endAt - Date.now())));
      const sample = { serviceMb: rssMb(child.pid!), captureMb: childPids(child.pid!, 'capture-child').map(rssMb).filter(Number.isFinite) };
      if (sample.captureMb.length >= rss.captureMb.length) rss = sample;
    }
    const t1 = preciseNow();

    child.send({ type: 'stop' } satisfies ParentMessage);
    await waitFor('stopped', 60_000);
    await client.endAsync();
    const records = JSON.parse(readFileSync(recordsPath, 'utf8')) as StageRecord[];

    const inWindow = records.flatMap((r) => {
      const at = received.get(r.id);
      return at !== undefined && at >= t0 && at < t1 ? [{ ...r, receivedAt: at }] : [];
    });
    const scored = inWindow.filter((r) => r.batchSize > 0);
    const runs = new Map(scored.map((r) => [r.runStartedAt, r.batchSize]));
    const stage = (f: (r: (typeof scored)[number]) => number) => spread(scored.map(f));
    return {
      cameras: o.cameras.length,
      ...(o.cameras[0]?.fps === undefined ? {} : { cameraFps: o.cameras[0].fps }),
      batchMaxSize: o.batchMaxSize,
      batchMaxWaitMs: o.batchMaxWaitMs,
      fps: scored.length / ((t1 - t0) / 1000),
      meanBatch: mean([...runs.values()]),
      framesMeasured: scored.length,
      unscored: inWindow.length - scored.length,
      latency: {
        batching: stage((r) => r.batchedAt - r.capturedAt),
        queueing: stage((r) => r.runStartedAt - r.batchedAt),
        inference: stage((r) => r.runEndedAt - r.runStartedAt),
        publish: stage((r) => r.receivedAt - r.runEndedAt),
        decide: stage((r) => r.decidedAt - r.runEndedAt),
        deliver: stage((r) => r.receivedAt - r.decidedAt),
        total: stage((r) => r.receivedAt - r.capturedAt),
        added: stage((r) => r.receivedAt - r.capturedAt - (r.runEndedAt - r.runStartedAt)),
      },
      rss,
      provider: started.provider,
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
