import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { secretPath, secretValue } from './credentials.js';
import { uniadError } from './errors.js';
import { parseBrokerUrl } from './sinks/broker-url.js';
import { maxTopicBytes, topicPartProblem } from './sinks/topics.js';
import { parseSourceUri, type SourceSpec } from './sources/uri.js';
import { resolveStateDir, statePaths } from './state-dir.js';
import { logLevels, providerNames, roleNames, type Crop } from './types.js';
import { describeIssues, outOfRange } from './zod-issues.js';

export { providerNames, type ProviderName } from './types.js';

/** A value as an error message shows it: JSON-quoted (so a NUL or a space is visible), cut after 60 characters. */
const shown = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);

const idPattern = /^[A-Za-z0-9_-]+$/;

/**
 * A number in [min, max] (finite; an integer when `int`). `why` says what the field does and what goes wrong out of
 * range; the error shows the value, the range and why (zod-issues.ts).
 */
function range(min: number, max: number, unit: string, why: string, int = false) {
  const message = `${outOfRange} ${int ? 'whole numbers ' : ''}${min} to ${max}${unit} — ${why}`;
  const n = z.number().finite(message);
  return (int ? n.int(message) : n).min(min, message).max(max, message);
}

const portRange = () => range(0, 65535, '', 'a TCP port; 0 picks a free one', true);

/** site, node, line, camera id: each one MQTT topic level. MQTT's rule that is broken is named first, it says more. */
const topicLevel = z.string().superRefine((v, ctx) => {
  const problem = topicPartProblem(v, false) ?? (idPattern.test(v) ? undefined : 'has a character other than letters, digits, "_" and "-"');
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${shown(v)} ${problem} (it is an MQTT topic level: use letters, digits, "_" or "-")` });
});

/** mqtt.prefix: one or more topic levels. */
const topicPrefix = z.string().superRefine((v, ctx) => {
  const problem = topicPartProblem(v, true);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${shown(v)} ${problem} (write topic levels joined by single "/", e.g. uniad/plant1)` });
});

const crop: z.ZodType<Crop> = z
  .object({
    x: range(0, 16_384, ' px', 'a pixel position in the camera image', true),
    y: range(0, 16_384, ' px', 'a pixel position in the camera image', true),
    width: range(1, 16_384, ' px', 'a size in camera pixels', true),
    height: range(1, 16_384, ' px', 'a size in camera pixels', true),
  })
  .strict();

const camera = z
  .object({
    id: topicLevel,
    line: topicLevel,
    product: z.string().min(1, 'name the product class this camera inspects'),
    source: z.string().min(1, 'give a source URI (rtsp://, file://, v4l2:///dev/videoN, test:)'),
    crop: crop.optional(),
    threshold: range(1e-9, 1e9, '', 'an anomaly score: at or above it a part is rejected; 0 or less would reject every part').optional(),
    /** Re-open a file source at its end instead of reporting it ended (demo videos). */
    loop: z.boolean().default(false),
    /** Play a file at its own frame rate, like a camera (frames dropped when the model falls behind), instead of every frame. */
    live: z.boolean().optional(),
    /** Cap the frame rate taken from the camera; omitted = as the camera sends. */
    fps: range(0.1, 240, ' frames/s', 'a cap on the frames taken from the camera; omit it to take what the camera sends').optional(),
    /**
     * Overload policy when frames arrive faster than the model (src/pipeline/overload.ts): `drop-oldest` lets up to 32
     * frames wait and sheds the oldest; `keep-latest` lets only the newest frame wait. Shed frames get `deadline` verdicts.
     */
    overload: z.enum(['drop-oldest', 'keep-latest']).default('drop-oldest'),
    /** Seconds with no frame before the camera is restarted. */
    watchdogSeconds: range(1, 3600, ' s', 'a camera with no frame for this long is restarted; shorter restarts a camera that is merely slow to start, forever').default(10),
    /**
     * `nvmm`: Jetson hardware decoder and NVMM buffers (src/sources/launch-nvmm.ts); `software`: decodebin on the CPU;
     * `auto`: nvmm where the NVIDIA GStreamer elements are installed, else software (one log line says so).
     */
    decoder: z.enum(['auto', 'software', 'nvmm']).default('auto'),
  })
  .strict();

/** TensorRT settings; they reach TensorRT only through the Jetson build of onnxruntime-node (deploy/jetson). */
const tensorrt = z
  .object({
    fp16: z.boolean().default(true),
    engineCache: z.boolean().default(true),
    timingCache: z.boolean().default(true),
    workspaceMb: range(1, 1_048_576, ' MB', 'memory TensorRT may use to build the engine', true).optional(),
    builderOptimizationLevel: range(0, 5, '', "TensorRT's builder optimisation levels", true).optional(),
  })
  .strict()
  .default({});

const model = z
  .object({
    path: z.string().min(1),
    providers: z.array(z.enum(providerNames)).nonempty().default(['tensorrt', 'cuda', 'cpu']),
    batchMaxSize: range(1, 256, ' frames', 'frames of all cameras scored together', true).default(8),
    /**
     * 0 (default): a frame goes to an idle model at once, and frames that arrive while it is busy are batched together
     * anyway (inspect.ts), so batches grow with the load without a frame ever waiting for a batch to fill; a wait only
     * adds latency (docs/performance.md, batch policy).
     */
    batchMaxWaitMs: range(0, 10_000, ' ms', 'how long a batch waits to fill; every frame waits up to this long before scoring').default(0),
    deadlineMs: range(10, 600_000, ' ms', 'a frame not inspected this long after capture gets a fail-safe verdict; the actuator needs the answer sooner than minutes').default(2000),
    failSafe: z.enum(['reject', 'pass']).default('reject'),
    /** A run still going after this long has hung the worker: its frames get `error` verdicts and a new worker takes over. */
    runTimeoutMs: range(10, 3_600_000, ' ms', 'a batch running longer is abandoned with fail-safe verdicts and a new worker started').default(30_000),
    /** onnxruntime intra-op threads; 0 = onnxruntime's default. */
    threads: range(0, 1024, '', "onnxruntime's intra-op threads; 0 = its default", true).default(0),
    /** Thresholds from `uniad-edge calibrate` for this model (used only while its `model` matches the loaded model). */
    thresholdsFile: z.string().min(1).optional(),
    /** Idle onnxruntime threads busy-wait for work (src/pipeline/session-options.ts); off: the cores also decode cameras. */
    threadSpinning: z.boolean().default(false),
    tensorrt,
  })
  .strict();

const mqtt = z
  .object({
    /** Absent: the embedded broker is started and used. */
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'use mqtt://, mqtts://, ws:// or wss://').optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    clientId: z.string().optional(),
    ca: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
    prefix: topicPrefix.optional(),
    /** Verdicts and rejects wait here while the broker is unreachable, and survive a restart on disk. */
    queue: z
      .object({
        store: z.enum(['disk', 'memory']).default('disk'),
        /** Folder of the disk queue; default `queue/` in the state folder (stateDir). */
        dir: z.string().optional(),
        maxMessages: range(1, 1_000_000, ' messages', 'the queue is also held in memory (about 0.5 KB a message): a bigger one can exhaust it', true).default(100_000),
      })
      .strict()
      .default({}),
    heatmaps: z
      .object({
        enabled: z.boolean().default(true),
        /** At most one heatmap per camera per this many ms. */
        minIntervalMs: range(0, 3_600_000, ' ms', 'at most one heatmap per camera in this time').default(1000),
        /** Also publish heatmaps of frames that passed. */
        includeOk: z.boolean().default(false),
      })
      .strict()
      .default({}),
    /** Live feed for dashboards (src/sinks/feed.ts): `<prefix>/<line>/<camera>/feed`, a downscaled frame with its heatmap. */
    feed: z
      .object({
        enabled: z.boolean().default(true),
        /** At most this many feed images per camera a second. */
        maxFps: range(0.01, 30, ' a second', 'feed images per camera; each costs a PNG encode on the CPU').default(2),
        /** Width of the feed image in pixels (height keeps the aspect). */
        width: range(16, 1024, ' px', 'width of the feed image; larger costs CPU and bandwidth', true).default(160),
      })
      .strict()
      .default({}),
    /** Seconds between the stats fields republished on the retained status topic. */
    statsIntervalSeconds: range(0.1, 3600, ' s', 'how often the retained status carries fresh stats; the dashboard shows them').default(10),
  })
  .strict()
  .default({});

const brokerUser = z
  .object({
    username: z.string().min(1, 'give a user name'),
    password: z.string().min(1, 'give a password'),
    role: z.enum(roleNames),
  })
  .strict();

const embedded = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: portRange().default(1883),
    wsPort: portRange().default(8883),
    /** Shorthand for one user with role `service`: what the service connects with. */
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    /** Accounts with a role (service, operator, viewer); see src/sinks/acl.ts for what each may publish. */
    users: z.array(brokerUser).default([]),
    /** Let clients without a user name in, read-only. Default: yes when no user is configured, else no. */
    allowAnonymous: z.boolean().optional(),
  })
  .strict()
  .default({});

/** The config file's schema (zod); `parseConfig` is what callers want. */
export const configSchema = z
  .object({
    /** Folder for everything kept between runs (queue, lock, archive, ...); default in src/state-dir.ts. */
    stateDir: z.string().min(1, 'give a folder, or leave stateDir out for the default').optional(),
    site: topicLevel.default('site'),
    node: topicLevel.default('edge'),
    cameras: z.array(camera).nonempty('add at least one camera'),
    model,
    mqtt,
    embeddedBroker: embedded,
    log: z
      .object({
        level: z.enum(logLevels).default('info'),
        /** Seconds between `stats` log lines (fps, rejects, queue depth, latency per camera); 0 = none. */
        statsIntervalSeconds: range(0, 86_400, ' s', 'how often a stats line is logged; 0 = never').default(60),
      })
      .strict()
      .default({}),
    /** A candidate model run beside the live one on the same frames, only when the line is idle; never acted on. */
    shadow: z
      .object({
        path: z.string().min(1),
        providers: z.array(z.enum(providerNames)).nonempty().default(['tensorrt', 'cuda', 'cpu']),
        threads: range(0, 1024, '', "onnxruntime's intra-op threads; 0 = its default", true).default(0),
        /** Seconds between retained summaries on <prefix>/shadow/<node> (and the state folder's shadow-report.json). */
        summarySeconds: range(1, 86_400, ' s', 'how often the comparison is published').default(10),
      })
      .strict()
      .optional(),
    /** Evidence of rejects under `archive/` of the state folder (src/sinks/evidence/archive.ts). */
    archive: z
      .object({
        enabled: z.boolean().default(true),
        maxMegabytes: range(1, 1_000_000, ' MB', 'the oldest evidence is deleted past it').default(1024),
        maxAgeDays: range(0.001, 3650, ' days', 'older evidence is deleted').default(30),
        /** Keep 1 in N good frames (frame + verdict) as a sample of what passed; 0 = none. */
        goodSampleEvery: range(0, 1_000_000, ' frames', 'keeps one good frame in N per camera; 0 keeps none', true).default(0),
      })
      .strict()
      .default({}),
    dashboard: z
      .object({
        /** The service's HTTP port: /metrics, /healthz, /readyz and the page. false: no HTTP port at all. */
        enabled: z.boolean().default(true),
        /** false: serve only /metrics, /healthz and /readyz. */
        page: z.boolean().default(true),
        host: z.string().default('127.0.0.1'),
        port: portRange().default(8080),
        /** MQTT-over-WebSocket URL the browser uses; default the embedded broker's. Needed with an external broker. */
        mqttWsUrl: z.string().regex(/^wss?:\/\//, 'use ws:// or wss://').optional(),
        /** Read-only (`viewer`) credential the browser uses on an external broker; the embedded broker has its own. */
        username: z.string().min(1).optional(),
        password: z.string().optional(),
        /** Width of the score chart, seconds. */
        chartSeconds: range(10, 3600, ' s', 'how much history the score chart shows', true).default(120),
      })
      .strict()
      .default({}),
  })
  .strict();

type Parsed = z.infer<typeof configSchema>;
export type CameraConfig = Parsed['cameras'][number] & { readonly spec: SourceSpec };
export type ModelConfig = Parsed['model'];
export type MqttConfig = Parsed['mqtt'] & { readonly prefix: string };
export type EmbeddedBrokerConfig = Parsed['embeddedBroker'];
export interface Config extends Omit<Parsed, 'cameras' | 'mqtt' | 'stateDir'> {
  /** Absolute; resolved by `resolveStateDir` (src/state-dir.ts). */
  readonly stateDir: string;
  readonly cameras: readonly CameraConfig[];
  readonly mqtt: MqttConfig;
}

/**
 * Validates an already-parsed YAML document. Relative paths resolve against `baseDir` (the config file's folder);
 * `credential:NAME` secrets are read from `env.CREDENTIALS_DIRECTORY` (credentials.ts).
 */
export function parseConfig(doc: unknown, baseDir = process.cwd(), env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(doc ?? {});
  if (!result.success) throw uniadError('CONFIG_INVALID', describeIssues(result.error, { doc, example: 'config.example.yaml' }));
  const cfg = result.data;

  const ids = new Set<string>();
  cfg.cameras.forEach((cam, i) => {
    if (ids.has(cam.id)) throw uniadError('CONFIG_INVALID', `cameras[${i}].id: "${cam.id}" is used by another camera (camera ids must be unique)`);
    ids.add(cam.id);
  });
  cfg.cameras.forEach((cam, i) => {
    if (cam.fps !== undefined && cam.watchdogSeconds < 2 / cam.fps) {
      throw uniadError('CONFIG_INVALID', `cameras[${i}].watchdogSeconds: ${cam.watchdogSeconds} s is less than two frames at fps ${cam.fps} (${2 / cam.fps} s): the camera would be restarted between frames (raise watchdogSeconds or fps)`);
    }
  });
  if (cfg.model.batchMaxWaitMs >= cfg.model.deadlineMs) {
    throw uniadError('CONFIG_INVALID', `model.batchMaxWaitMs: ${cfg.model.batchMaxWaitMs} ms is not below model.deadlineMs (${cfg.model.deadlineMs} ms): frames would miss their deadline waiting for a batch (lower batchMaxWaitMs)`);
  }
  const cameras = cfg.cameras.map((cam, i) => ({ ...cam, spec: parseSourceUri(cam.source, `cameras[${i}].source`, baseDir) }));
  const prefix = cfg.mqtt.prefix ?? `uniad/${cfg.site}`;
  // the longest topics this node publishes to or takes commands on
  const longest = [`${prefix}/status/${cfg.node}`, ...cfg.cameras.map((c) => `${prefix}/${c.line}/${c.id}/threshold/set`)].reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a));
  if (Buffer.byteLength(longest) > maxTopicBytes) {
    throw uniadError('CONFIG_INVALID', `mqtt.prefix: the topic ${shown(longest)} would be ${Buffer.byteLength(longest)} bytes; MQTT allows ${maxTopicBytes} (shorten mqtt.prefix, site, node, line or camera ids)`);
  }

  if (cfg.mqtt.url === undefined && (cfg.mqtt.ca || cfg.mqtt.cert || cfg.mqtt.key)) {
    throw uniadError('CONFIG_INVALID', 'mqtt.ca/cert/key: TLS files given but no mqtt.url (set mqtt.url to your broker, e.g. mqtts://broker:8883)');
  }
  const eb = cfg.embeddedBroker;
  if (eb.password !== undefined && eb.username === undefined) {
    throw uniadError('CONFIG_INVALID', 'embeddedBroker.password: given without embeddedBroker.username (set both, or list accounts under embeddedBroker.users)');
  }
  const names = new Set(eb.username === undefined ? [] : [eb.username]);
  eb.users.forEach((u, i) => {
    if (names.has(u.username)) throw uniadError('CONFIG_INVALID', `embeddedBroker.users[${i}].username: "${u.username}" is used twice (user names must be unique)`);
    names.add(u.username);
  });
  if ((cfg.mqtt.cert === undefined) !== (cfg.mqtt.key === undefined)) {
    throw uniadError('CONFIG_INVALID', 'mqtt.cert/mqtt.key: a client certificate needs both cert and key');
  }
  // the URL is parsed here, once; credentials in it (percent-encoded) move to the fields, and it keeps no secret
  const broker = cfg.mqtt.url === undefined ? undefined : parseBrokerUrl(cfg.mqtt.url);
  if (broker?.username !== undefined && (cfg.mqtt.username !== undefined || cfg.mqtt.password !== undefined)) {
    throw uniadError('CONFIG_INVALID', 'mqtt.url: has a user name and so do mqtt.username/mqtt.password (give the credentials once, preferably in the fields)');
  }
  const login = broker?.username !== undefined ? { username: broker.username, password: broker.password } : { username: cfg.mqtt.username, password: cfg.mqtt.password };
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(baseDir, p));
  const stateDir = resolveStateDir(abs(cfg.stateDir));
  return {
    ...cfg,
    stateDir,
    cameras,
    model: { ...cfg.model, path: abs(cfg.model.path)!, thresholdsFile: abs(cfg.model.thresholdsFile) },
    shadow: cfg.shadow && { ...cfg.shadow, path: abs(cfg.shadow.path)! },
    embeddedBroker: {
      ...eb,
      password: secretValue(eb.password, 'embeddedBroker.password', env),
      users: eb.users.map((u, i) => ({ ...u, password: secretValue(u.password, `embeddedBroker.users[${i}].password`, env)! })),
    },
    dashboard: { ...cfg.dashboard, password: secretValue(cfg.dashboard.password, 'dashboard.password', env) },
    mqtt: {
      ...cfg.mqtt,
      url: broker?.url,
      username: login.username,
      // a password from the URL is the URL's; one in the field may name a file or variable holding it (credentials.ts)
      password: broker?.username !== undefined ? login.password : secretValue(cfg.mqtt.password, 'mqtt.password', env),
      ca: abs(cfg.mqtt.ca),
      cert: abs(cfg.mqtt.cert),
      key: abs(secretPath(cfg.mqtt.key, 'mqtt.key', env)),
      prefix,
      queue: { ...cfg.mqtt.queue, dir: abs(cfg.mqtt.queue.dir) ?? statePaths(stateDir).queue },
    },
  };
}

/** Reads and validates a YAML config file. */
export function loadConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw uniadError('CONFIG_READ', path, (err as Error).message);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw uniadError('CONFIG_YAML', path, (err as Error).message.split('\n')[0] ?? '');
  }
  return parseConfig(doc, dirname(resolve(path)));
}
