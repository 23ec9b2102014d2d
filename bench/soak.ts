/**
 * Soak: the real service process with 4 cameras for a long time, one capture process killed (SIGKILL) at a fixed
 * interval, round robin over the cameras. Samples the memory of the service and its capture processes and counts
 * verdicts at an MQTT subscriber (unique ids, duplicates, gaps in each camera's seq); writes docs/reliability.md.
 *
 *   npx tsx bench/soak.ts [--minutes 30] [--kill-every 120] [--cameras 4] [--fps 30] [--model PATH] [--out docs/reliability.md]
 *
 * Default model: the tiny contract model of the tests (built if missing), so the soak measures the runtime, not a
 * model. Cameras are `test:` sources (live, paced at --fps); the broker is the embedded one.
 */
import { cpus } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import type { Verdict } from '../src/types.js';
import { startServiceProcess, writeConfig, type LogLine } from '../test/faults/service-process.js';
import { repoRoot } from '../test/setup/paths.js';
import { buildTinyModels, tinyModels } from '../test/setup/tiny-model.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'kill-every': { type: 'string', default: '120' },
    cameras: { type: 'string', default: '4' },
    fps: { type: 'string', default: '30' },
    model: { type: 'string' },
    out: { type: 'string', default: join(repoRoot, 'docs/reliability.md') },
  },
});
const minutes = Number(values.minutes);
const killEverySeconds = Number(values['kill-every']);
const cameraCount = Number(values.cameras);
const fps = Number(values.fps);
if (!(minutes > 0) || !(killEverySeconds > 0) || !(cameraCount >= 1) || !(fps > 0)) throw new Error('soak: --minutes, --kill-every, --cameras and --fps must be positive numbers');
if (values.model === undefined) buildTinyModels();
const modelPath = values.model ?? tinyModels.ok;

const patterns = ['ball', 'smpte', 'snow', 'pinwheel', 'checkers-8', 'zone-plate', 'spokes', 'gradient'];
const cameraIds = Array.from({ length: cameraCount }, (_, i) => `cam${i + 1}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident memory of a process in MB, or 0 when it is gone. */
function rssMb(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Verdicts per camera as the subscriber saw them: seqs of the run, duplicates, and arrival times by capture time. */
class Counter {
  readonly seqs = new Map<string, Set<number>>(cameraIds.map((c) => [c, new Set()]));
  readonly reasons: Record<string, number> = {};
  /** capturedAt of every first arrival, per camera, for the time a camera took to resume after a kill. */
  readonly captured = new Map<string, number[]>(cameraIds.map((c) => [c, []]));
  duplicates = 0;
  received = 0;

  add(v: Verdict): void {
    this.received++;
    const seen = this.seqs.get(v.camera)!;
    if (seen.has(v.seq)) {
      this.duplicates++;
      return;
    }
    seen.add(v.seq);
    this.captured.get(v.camera)!.push(v.capturedAt);
    this.reasons[v.reason] = (this.reasons[v.reason] ?? 0) + 1;
  }

  get unique(): number {
    return [...this.seqs.values()].reduce((n, s) => n + s.size, 0);
  }

  /** Seqs missing between 0 and the highest seen, per camera. */
  gaps(): number {
    return [...this.seqs.values()].reduce((n, s) => n + (s.size === 0 ? 0 : Math.max(...s) + 1 - s.size), 0);
  }
}

interface Sample {
  readonly t: number;
  readonly serviceMb: number;
  readonly captureMb: number;
  readonly unique: number;
  readonly rate: number;
  readonly kills: number;
  readonly restarts: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-soak-'));
  const cfg = writeConfig(dir, 'soak.yaml', {
    node: 'soak',
    cameras: cameraIds.map((id, i) => ({ id, line: 'line1', product: 'bolt', source: `test:${patterns[i % patterns.length]}`, fps })),
    model: { path: modelPath, providers: ['cpu'] },
    mqtt: { queue: { store: 'disk', dir: join(dir, 'queue') }, heatmaps: { enabled: false } },
    embeddedBroker: { port: 0, wsPort: 0 },
    dashboard: { enabled: false },
  });
  const svc = startServiceProcess(cfg, dir);
  const { url } = await svc.waitForLog('embedded broker listening');
  const counter = new Counter();
  const client = await mqtt.connectAsync(url as string, { protocolVersion: 4 });
  client.on('message', (_topic, payload) => counter.add(JSON.parse(payload.toString()) as Verdict));
  await client.subscribeAsync('uniad/site/+/+/verdict', { qos: 1 });
  await svc.waitForLog('service started');

  const started = (l: LogLine) => l.msg === 'camera capture started';
  const currentPids = () => {
    const pids = new Map<string, number>();
    for (const l of svc.logs) if (started(l)) pids.set(l['camera'] as string, l['pid'] as number);
    return pids;
  };
  const restarts = () => svc.logs.filter((l) => l.msg === 'restarting camera capture').length;

  const kills: { camera: string; pid: number; at: number }[] = [];
  const samples: Sample[] = [];
  const t0 = Date.now();
  const endAt = t0 + minutes * 60_000;
  const sampleEveryMs = Math.max(10_000, (minutes * 60_000) / 30);
  let nextSample = t0 + sampleEveryMs;
  let nextKill = t0 + killEverySeconds * 1000;
  let lastUnique = 0;
  let lastSampleAt = t0;
  while (Date.now() < endAt) {
    await sleep(250);
    if (svc.rssMb() === null) throw new Error(`soak: the service exited:\n${svc.stderr().slice(-3000)}`);
    const now = Date.now();
    if (now >= nextKill) {
      const camera = cameraIds[kills.length % cameraIds.length]!;
      const pid = currentPids().get(camera);
      if (pid !== undefined) {
        process.kill(pid, 'SIGKILL');
        kills.push({ camera, pid, at: now });
      }
      nextKill += killEverySeconds * 1000;
    }
    if (now >= nextSample) {
      const pids = [...currentPids().values()];
      const unique = counter.unique;
      samples.push({
        t: (now - t0) / 1000,
        serviceMb: svc.rssMb() ?? 0,
        captureMb: pids.reduce((sum, pid) => sum + rssMb(pid), 0),
        unique,
        rate: (unique - lastUnique) / ((now - lastSampleAt) / 1000),
        kills: kills.length,
        restarts: restarts(),
      });
      console.log(JSON.stringify(samples.at(-1)));
      lastUnique = unique;
      lastSampleAt = now;
      nextSample += sampleEveryMs;
    }
  }

  const stop = await svc.stop();
  const stopped: Record<string, unknown> = svc.logs.find((l) => l.msg === 'stopped') ?? {};
  const decided = Number(stopped['frames'] ?? NaN);
  const drainBy = Date.now() + 30_000;
  while (counter.unique < decided && Date.now() < drainBy) await sleep(100);
  await client.endAsync();
  rmSync(dir, { recursive: true, force: true });

  // How long each killed camera went without a frame: from the kill to the capture time of its next verdict.
  const resumeMs = kills.map((k) => (counter.captured.get(k.camera)!.find((t) => t > k.at) ?? NaN) - k.at);
  const report = renderReport({ samples, kills, resumeMs, decided, stopped, stop, counter, durationS: (Date.now() - t0) / 1000 });
  writeFileSync(values.out!, report);
  console.log(report);
}

interface ReportInput {
  readonly samples: readonly Sample[];
  readonly kills: readonly { camera: string; pid: number; at: number }[];
  readonly resumeMs: readonly number[];
  readonly decided: number;
  readonly stopped: Record<string, unknown>;
  readonly stop: { code: number | null; ms: number };
  readonly counter: Counter;
  readonly durationS: number;
}

function renderReport(r: ReportInput): string {
  const first = r.samples[0];
  const last = r.samples.at(-1);
  const maxOf = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
  const third = Math.max(1, Math.floor(r.samples.length / 3));
  const peakFirst = maxOf(r.samples.slice(0, third).map((s) => s.serviceMb));
  const peakLast = maxOf(r.samples.slice(-third).map((s) => s.serviceMb));
  const finite = r.resumeMs.filter(Number.isFinite);
  const rows = r.samples.map((s) => `| ${s.t.toFixed(0)} | ${s.serviceMb.toFixed(1)} | ${s.captureMb.toFixed(1)} | ${s.unique} | ${s.rate.toFixed(1)} | ${s.kills} | ${s.restarts} |`);
  return `# Reliability: soak run

Generated by \`bench/soak.ts\` — do not edit by hand; rerun it.

**This run: ${(r.durationS / 60).toFixed(1)} minutes** (\`--minutes ${minutes} --kill-every ${killEverySeconds} --cameras ${cameraCount} --fps ${fps}\`), ${new Date().toISOString().slice(0, 10)},
on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, model \`${modelPath.replace(repoRoot, '')}\`, CPU provider.
The default is a 30-minute run with a kill every 2 minutes; the numbers below are only for the duration stated here.

Setup: the real service process (\`uniad-edge run\`), ${cameraCount} \`test:\` cameras at ${fps} fps, the embedded MQTT broker, a subscriber
counting verdicts by id. Every ${killEverySeconds} s one capture process (round robin over the cameras) is killed with SIGKILL.

## Summary

| | |
| --- | --- |
| capture processes killed | ${r.kills.length} |
| camera restarts logged | ${last?.restarts ?? 0} |
| time from kill to the camera's next frame (min / median / max) | ${finite.length ? `${Math.min(...finite)} / ${[...finite].sort((a, b) => a - b)[Math.floor(finite.length / 2)]} / ${Math.max(...finite)} ms` : 'n/a'} |
| frames decided (service count at stop) | ${r.decided} |
| unique verdict ids at the subscriber | ${r.counter.unique} |
| duplicates at the subscriber (QoS 1, deduplicated by id) | ${r.counter.duplicates} |
| gaps in a camera's seq (frames without a verdict) | ${r.counter.gaps()} |
| verdicts by reason | ${Object.entries(r.counter.reasons).map(([k, v]) => `${k} ${v}`).join(', ')} |
| service RSS: first sample / last sample | ${first?.serviceMb.toFixed(1)} / ${last?.serviceMb.toFixed(1)} MB |
| service RSS peak: first third / last third of the run | ${peakFirst.toFixed(1)} / ${peakLast.toFixed(1)} MB |
| SIGTERM at the end | exit ${r.stop.code} after ${r.stop.ms} ms |

A killed camera loses the frames it would have captured while it was down (no process, no frame, no seq): that is
the resume time above, not a gap. A gap would be a frame that was captured but got no verdict.

Faults other than a killed capture process are proven by the fault-injection tests, \`npx vitest run test/faults\`
(each prints what it measured): capture process killed, RTSP server stopped and restarted, RTSP server frozen
(SIGSTOP), mosquitto down for 10 s mid-stream, service restarted while the broker is down, last will, inference
slower than frames for a minute (RSS, deadline verdicts), inference worker dead or hung, model that cannot be
reloaded (\`degraded\` status), bad config, models and sources, TLS with client certificates, secrets in logs.

## Faults that must fail closed (issue 9)

Each row is a fault test against real components (\`npx vitest run test/faults/<file>\`; numbers from the run that
landed it, on the shared 2-core box). Where verdicts are involved an independent MQTT subscriber counts them by id.

| fault | what the service does | test | seen |
| --- | --- | --- | --- |
| the model's score or anomaly map is NaN/Inf | an \`error\` verdict with the fail-safe decision (reject by default), never \`ok\`; the first of a run logged with camera and model; counted (\`nonFinite\`); \`degraded\` with \`NON_FINITE_OUTPUT\` naming the cameras while one has 3 in a row; \`check\` dry-runs the model (black, grey, white, noise frames) and refuses it (\`MODEL_NON_FINITE\`) | \`non-finite.test.ts\` | 22 of 22 dark frames \`error\`/reject at the subscriber, the bright camera scored beside it; \`check\` refused \`nan\`, \`nan-map\`, \`nan-dark\` |
| \`mqtt.prefix\`, site, node, line or camera id breaks MQTT's topic rules (\`#\`, \`+\`, NUL, control character, empty level, leading \`/\`, \`$\`, over 65535 bytes) | refused at \`check\`/start, naming the field, the rule and the fix | \`topics.test.ts\` | 6 prefixes and 4 ids refused with their rule |
| the broker refuses a queued message (too big for \`max_packet_size\`; a topic MQTT forbids) | after a drop the queue sends one message at a time; a message alone in flight at 2 drops in a row is set aside in \`<stateDir>/dead-letter/dead-letter.jsonl\` with the reason and counted (\`refused\`); a forbidden topic is set aside unsent; the rest goes on in order | \`refused-message.test.ts\` | mosquitto, 12 verdicts with the 6th too big: 11 delivered in order, 1 dead letter, 4 connects in all |
| the offline queue's disk is full (or read-only, or failing), at start or while running | inspection and live publishing go on; the queue goes on in memory (same bound); \`degraded\` with \`QUEUE_DISK\` and why; every 5 s the whole queue is written to a fresh log, \`online\` again once it can | \`disk-full.test.ts\` (mounts a 256 KiB tmpfs; skipped, saying so, without root) | 203 of 203 verdict ids; statuses online → degraded → online → degraded → online → offline |
| the evidence archive's disk is full; a camera id too long for a file name (issue 20) | verdicts go out as ever; each reject not archived is counted by reason (\`uniad_evidence_dropped_total{reason}\`), the first logged, the rest summed up once a minute; \`degraded\` with \`EVIDENCE_DROPPED\` until entries are archived again (10 s without a drop); the size limit counts disk blocks, as \`du\` does; a long id's folder keeps its first bytes and a hash | \`disk-full.test.ts\` (a 4 MiB tmpfs), \`../evidence/archive.test.ts\` | 47 rejects not archived on the full disk, 2 log lines for them (was one each); archive 1044480 bytes on disk for a 1 MiB limit (263522 in its files: counted by bytes it took 4×); 250-character camera ids archived |
| the same config started twice | \`run\`/\`demo\` take \`<stateDir>/lock\` (a symlink to the PID and the process's start time, works on a full disk); the second is refused naming the first's PID (\`INSTANCE_RUNNING\`); a lock of a dead process, or of a PID now another process's (same PID, another start time), is taken over. Two instances with their own state folders on one broker: each sees the other's run on its own retained status topic, logs it, says \`CLIENT_ID_TAKEOVER\` and reconnects only every 10 s; the queue takes in-flight verdicts back on every drop, so none is lost | \`twin.test.ts\` | second exits 1 at once; the first: 20 frames, 20 verdict ids, connected once. Takeover on mosquitto: 3 connects each (not a loop), A 54 frames / 54 ids, B 35 / 35 |
| anyone on the box publishes under the prefix or takes the service's client id (embedded broker) | only the \`service\` account publishes under the prefix; \`operator\` only \`threshold/set\` and \`recipe\`; \`viewer\` and anonymous nothing; a will is held to the same rule; the client id is refused to others ("identifier rejected"); the dashboard reads with a \`viewer\` account. Mosquitto: the ACL in docs/mqtt-acl.md | \`impersonation.test.ts\` | fake status, fake reject and client id refused for anonymous, viewer and operator; the service never knocked off; mosquitto with the documented ACL delivers only the service's messages |
| a damaged file loses frames in the decoder (GStreamer says nothing) | the frames out of a file played frame by frame are compared with its MP4 sample table at each end: the loss is logged, counted (\`framesLost\`), \`degraded\` with \`SOURCE_FRAMES_LOST\` for that camera; bus warnings are logged | \`frame-loss.test.ts\` | 300-frame file with damaged data: 241 frames, all 241 decided, 59 reported lost; a sound file beside it reported nothing |
| a password with \`#\`, \`@\`, \`%\` or \`/\` in \`mqtt.url\` or an \`rtsp://\` source | the broker URL is parsed once (WHATWG) and given to MQTT.js as options (its own parser read a \`#\` as the end of the host); credentials come percent-encoded in the URL or in \`mqtt.username\`/\`mqtt.password\` (both at once is refused) and leave the URL, which then holds no secret; an unencoded one is refused with the fix, never shown | \`secrets.test.ts\`, \`bad-input.test.ts\` | mosquitto with password \`p#s@s%w/rd\`: connects both ways, verdicts delivered; 0 bytes of the password, raw or encoded, in the service's output or \`check\`'s; no Node deprecation warning |
| the same password on an RTSP camera whose server asks for it (HTTP Basic), a wrong one on a second camera, broker passwords with the same characters | rtspsrc gets the percent-encoded URL and authenticates; the wrong one is a camera error, retried; logs name the source with the password masked | \`secrets-service.test.ts\` (real gst-rtsp-server with authentication) | the good camera's frames scored; the wrong camera's error and restart logged; 0 bytes of any of the three passwords (raw, encoded or partly masked) in the service's log at debug level, its capture processes' relayed output, or 7 HTTP routes (page, app.js, settings.json, history.json, metrics, healthz, readyz); a masking bug (password left in the logged source) fails it |
| the service process dies (SIGKILL, crash) with its cameras open | each capture process notices (IPC disconnect, broken frame pipe, or a parent already gone at its start), stops its pipeline and exits, so an RTSP server's connection slot or a V4L2 device is free for the restarted service; it exits only once GStreamer's pending calls are back (\`process.exit\` hung on a pending bus poll before: orphans with parent PID 1 that ignored SIGTERM) and kills itself after 3 s if they are not | \`../sources/capture-orphans.test.ts\` | 6 children of a killed parent (4 test sources, file, RTSP) and both of a killed service process gone; before the fix 1 of 3 runs with 9 children left one running |
| a capture process slow to start (a loaded machine) | its watchdog runs from the process's 'started' report, not from the spawn; until then it gets max(\`watchdogSeconds\`, 60 s) | \`../sources/capture.test.ts\` | a child delayed 3 s against a 2 s watchdog: frames and one \`started\`; counted from the spawn it was restarted forever |
| a numeric config value out of a sane range (\`watchdogSeconds: 0.001\`) | refused with the value, the range and why; a walk over the schema checks every numeric field has both bounds | \`../config-bounds.test.ts\` | 18+ numeric fields bounded |
| a camera's RTSP server killed, and back on its port later (issue 20) | within the camera's \`watchdogSeconds\` (at once on the pipeline error a dead server gives): \`degraded\` with \`CAMERA_DOWN\` naming the camera, why and since when, \`uniad_camera_up\` 0, \`state\` on \`down\` in the status \`stats\`, the camera's retained \`<prefix>/<line>/<camera>/state\` \`down\` with \`failSafe\` (what a reject actuator gives its parts: no verdict comes for them); restarts after 0.5, 1, 2, 4 s, then every 5 s (was 30 s); with its first frame all of it is \`up\` again. The other cameras go on | \`camera-down.test.ts\` (real gst-rtsp-server) | cause on the status 212 ms after the kill (watchdog 3 s); frames again 6.8 s after the server was back (a 5 s restart delay and the capture process's start on the loaded 2-core box; it was 27 s) |
| the state folder read-only or a file; a damaged line or a zeroed tail in the offline queue; a lock whose PID now belongs to \`tail -f …/uniad-edge.log\` (issue 20) | the service starts and inspects: no lock (\`STATE_DIR\`), the queue in memory (\`QUEUE_DISK\`), each a cause of \`degraded\`; damaged queue lines are skipped, set aside in \`outbox.damaged\` and logged with about how many messages they held and the last intact verdict id, the rest replayed; a queue file that cannot be read is left alone (\`OUTBOX_STORE\`); an archive folder that cannot be read is off (\`ARCHIVE_DIR\`); a lock's holder is known by PID and start time. Each of these stopped the start before (\`EROFS\`, \`EEXIST\`, "line 5 is not a queue record", \`INSTANCE_RUNNING\` forever) | \`start-degraded.test.ts\` (a read-only tmpfs needs root; skipped, saying so, without) | read-only folder: the 3 verdicts its queue held delivered; 56 queued, 1 line garbled and 5½ records zeroed: 50 replayed, "about 6 queued messages lost" |
| the wall clock stepped back an hour, or ahead 40 days, under the running service (NTP on a box without an RTC battery; issue 20) | deadlines, rate limits, camera silence, readiness, the minute's figures and the archive's retention run on the monotonic clock; the wall clock only stamps what people read: heatmaps and feed images keep flowing, no frame in flight is taken for late, no evidence is deleted for the step; run ids carry random digits, so two runs started at the same wrong time do not repeat verdict ids | \`clock-step.test.ts\` (the service's own clock stepped by a preload; the machine's would need root), unit tests of each clock | across both steps: 23 heatmaps, 23 feed images, 125 verdicts all \`anomaly\`, 0 evidence deleted |

## Samples

| t (s) | service RSS (MB) | capture processes RSS (MB, sum) | unique verdicts | verdicts/s | kills | restarts |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}
`;
}

await main();
