/**
 * The config's rules that span fields, run by zod on the whole document as written (schema.ts: `z.preprocess`, a
 * refinement that runs before, and whatever, the sections' schemas find), so that a bad config is refused with all
 * its issues at once: a rule runs whenever the fields it reads are valid, however broken the rest is (a refinement
 * after the schema would not: zod skips it once any field has the wrong type). Each issue names the field to fix and
 * says how. Pure.
 */
import { z } from 'zod';
import { isCredential } from '../credentials.js';
import { parseBrokerUrls } from '../sinks/broker-url.js';
import { subjectProblem } from '../sinks/subjects.js';
import { maxTopicBytes } from '../sinks/topics.js';
import { camera } from './cameras.js';
import { dashboard } from './dashboard.js';
import { brokerUser, embeddedBroker } from './embedded-broker.js';
import { shown } from './fields.js';
import { model } from './model.js';
import { defaultPrefix, mqtt } from './mqtt.js';
import { topLevel } from './top-level.js';

/** A member of a value as written, or undefined. */
const member = (value: unknown, key: string): unknown => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined);

/** The items of an array as written; none when it is not one (the schema says so). */
const items = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/** mqtt and embeddedBroker may be left out: they have defaults. */
const sectionOf = (doc: unknown, key: 'mqtt' | 'embeddedBroker') => member(doc, key) ?? {};

/**
 * The named fields of a section as written, each parsed by its own schema (defaults filled in); undefined when the
 * section is no object or one of them is invalid: its own issue says so, and a rule about it would only repeat it
 * (fps 0 would make any watchdog "less than two frames (Infinity s)").
 */
function fieldsOf<S extends z.ZodRawShape, K extends keyof S & string>(shape: S, section: unknown, ...keys: K[]): { [k in K]: z.output<S[k]> } | undefined {
  if (section === null || typeof section !== 'object') return undefined;
  const fields: Record<string, unknown> = {};
  for (const key of keys) {
    const parsed = (shape[key] as z.ZodTypeAny).safeParse(member(section, key));
    if (!parsed.success) return undefined;
    fields[key] = parsed.data;
  }
  return fields as { [k in K]: z.output<S[k]> };
}

/** A rule about several fields names them in `field` (zod-issues.ts shows it in place of the path); `path` is the one to fix. */
function issue(ctx: z.RefinementCtx, path: (string | number)[], message: string, field?: string): void {
  ctx.addIssue({ code: z.ZodIssueCode.custom, path, message, ...(field === undefined ? {} : { params: { field } }) });
}

function uniqueCameraIds(doc: unknown, ctx: z.RefinementCtx): void {
  const ids = new Set<string>();
  items(member(doc, 'cameras')).forEach((cam, i) => {
    const id = fieldsOf(camera.shape, cam, 'id')?.id;
    if (id === undefined) return;
    if (ids.has(id)) issue(ctx, ['cameras', i, 'id'], `"${id}" is used by another camera (camera ids must be unique)`);
    ids.add(id);
  });
}

function watchdogCoversTwoFrames(doc: unknown, ctx: z.RefinementCtx): void {
  items(member(doc, 'cameras')).forEach((raw, i) => {
    const cam = fieldsOf(camera.shape, raw, 'fps', 'watchdogSeconds');
    if (cam?.fps === undefined || cam.watchdogSeconds >= 2 / cam.fps) return;
    issue(ctx, ['cameras', i, 'watchdogSeconds'], `${cam.watchdogSeconds} s is less than two frames at fps ${cam.fps} (${2 / cam.fps} s): the camera would be restarted between frames (raise watchdogSeconds or fps)`);
  });
}

/**
 * A `genicam` section belongs to a genicam:// source, whose frame rate is the camera's own (genicam.frameRate), and
 * whose watchdog must cover two frames of it.
 */
function genicamFields(doc: unknown, ctx: z.RefinementCtx): void {
  items(member(doc, 'cameras')).forEach((raw, i) => {
    const cam = fieldsOf(camera.shape, raw, 'source', 'genicam', 'fps', 'watchdogSeconds');
    if (cam === undefined) return;
    const isGenicam = cam.source.toLowerCase().startsWith('genicam:');
    if (!isGenicam && cam.genicam !== undefined) {
      issue(ctx, ['cameras', i, 'genicam'], `applies to a genicam:// source only, this camera's is ${shown(cam.source)} (remove genicam, or change source)`);
    }
    if (isGenicam && cam.fps !== undefined) {
      issue(ctx, ['cameras', i, 'fps'], 'a GenICam camera runs at its own frame rate: set genicam.frameRate instead (the camera then sends no frame it would drop)');
    }
    const rate = cam.genicam?.frameRate;
    if (isGenicam && rate !== undefined && cam.watchdogSeconds < 2 / rate) {
      issue(ctx, ['cameras', i, 'watchdogSeconds'], `${cam.watchdogSeconds} s is less than two frames at genicam.frameRate ${rate} (${2 / rate} s): the camera would be restarted between frames (raise watchdogSeconds or frameRate)`);
    }
  });
}

/** A camera's `threshold` is its `thresholds` entry for its own product: two different values would be a guess. */
function oneThresholdPerProduct(doc: unknown, ctx: z.RefinementCtx): void {
  items(member(doc, 'cameras')).forEach((raw, i) => {
    const cam = fieldsOf(camera.shape, raw, 'product', 'threshold', 'thresholds');
    const other = cam?.thresholds !== undefined && Object.hasOwn(cam.thresholds, cam.product) ? cam.thresholds[cam.product] : undefined;
    if (cam?.threshold === undefined || other === undefined || other === cam.threshold) return;
    issue(ctx, ['cameras', i, 'thresholds', cam.product], `${other} differs from the camera's threshold ${cam.threshold} for the same product "${cam.product}" (give it once)`);
  });
}

/** A product the model does not know runs only on purpose, with its own threshold: the model's default is a guess. */
function unknownProductHasThreshold(doc: unknown, ctx: z.RefinementCtx): void {
  items(member(doc, 'cameras')).forEach((raw, i) => {
    const cam = fieldsOf(camera.shape, raw, 'product', 'threshold', 'thresholds', 'allowUnknownProduct');
    if (cam === undefined || !cam.allowUnknownProduct || cam.threshold !== undefined || (cam.thresholds !== undefined && Object.hasOwn(cam.thresholds, cam.product))) return;
    issue(ctx, ['cameras', i, 'allowUnknownProduct'], `needs the camera's threshold for "${cam.product}" (set cameras[${i}].threshold: the model's default threshold was calibrated on other products)`);
  });
}

/**
 * Regions and ignored areas are placed in the camera image, whose size the config gives (`size`): each region lies
 * inside it, names are unique, a crop is a region of its own, and a GenICam camera (one output from its child) has
 * one region at most.
 */
function regionsInFrame(doc: unknown, ctx: z.RefinementCtx): void {
  items(member(doc, 'cameras')).forEach((raw, i) => {
    const cam = fieldsOf(camera.shape, raw, 'source', 'size', 'regions', 'ignore', 'crop');
    if (cam === undefined || (cam.regions === undefined && cam.ignore === undefined)) return;
    if (cam.size === undefined) {
      issue(ctx, ['cameras', i, 'size'], `give the camera's resolution, e.g. size: {width: 2448, height: 2048}: ${cam.regions ? 'regions' : 'ignore areas'} are placed in its pixels`);
      return;
    }
    const { width: w, height: h } = cam.size;
    if (cam.regions !== undefined && cam.crop !== undefined) issue(ctx, ['cameras', i, 'crop'], 'a camera with regions takes no crop (make the crop one of its regions)');
    if (cam.regions !== undefined && cam.regions.length > 1 && cam.source.toLowerCase().startsWith('genicam:')) {
      issue(ctx, ['cameras', i, 'regions'], `a GenICam camera takes one region, this one has ${cam.regions.length} (its capture child has one output; set the sensor's area with genicam.roi and give one region)`);
    }
    const names = new Set<string>();
    cam.regions?.forEach((r, j) => {
      if (names.has(r.name)) issue(ctx, ['cameras', i, 'regions', j, 'name'], `"${r.name}" is used by another region of this camera (region names must be unique)`);
      names.add(r.name);
      const past = [r.x + r.width > w ? `x ${r.x} + width ${r.width} = ${r.x + r.width} px is past its right edge` : '', r.y + r.height > h ? `y ${r.y} + height ${r.height} = ${r.y + r.height} px is past its bottom edge` : ''].filter(Boolean);
      if (past.length > 0) issue(ctx, ['cameras', i, 'regions', j], `lies outside the ${w}x${h} camera image (cameras[].size): ${past.join(', ')} (move or shrink the region, or correct size)`);
    });
    if (cam.regions === undefined && cam.crop !== undefined && (cam.crop.x + cam.crop.width > w || cam.crop.y + cam.crop.height > h)) {
      issue(ctx, ['cameras', i, 'crop'], `lies outside the ${w}x${h} camera image (cameras[].size) (move or shrink the crop, or correct size)`);
    }
  });
}

/**
 * A triggered GenICam camera takes one frame per part, from its part signal: a software trigger is fired for each
 * signal (so it needs one), and a part waits for its frame longer than the camera waits for it (genicam.md).
 */
function partsFitTheCamera(doc: unknown, ctx: z.RefinementCtx): void {
  items(member(doc, 'cameras')).forEach((raw, i) => {
    const cam = fieldsOf(camera.shape, raw, 'genicam', 'parts');
    const mode = cam?.genicam?.trigger.mode ?? 'off';
    if (cam === undefined || mode === 'off') return;
    const p = cam.parts;
    if (mode === 'software' && p?.signal === undefined) {
      issue(ctx, ['cameras', i, 'parts', 'signal'], 'a software-triggered camera fires one trigger per part signal: give parts.signal (kind mqtt, modbus or opcua)');
    }
    if (p === undefined) return;
    if (p.detector !== undefined) issue(ctx, ['cameras', i, 'parts', 'detector'], `a ${mode}-triggered camera takes one frame per part, from its part signal (remove detector, give parts.signal)`);
    if (p.frames !== 1) issue(ctx, ['cameras', i, 'parts', 'frames'], `a ${mode}-triggered camera takes one frame per part (remove frames, or set genicam.trigger.mode: off to grab ${p.frames})`);
    const cameraWaits = cam.genicam!.trigger.timeoutMs;
    if (mode === 'software' && p.frameTimeoutMs <= cameraWaits) {
      issue(ctx, ['cameras', i, 'parts', 'frameTimeoutMs'], `${p.frameTimeoutMs} ms is not above genicam.trigger.timeoutMs (${cameraWaits} ms): a part would be given up while its camera still waits for the frame (raise it, e.g. to ${cameraWaits + 500})`);
    }
  });
}

function batchWaitBelowDeadline(doc: unknown, ctx: z.RefinementCtx): void {
  const m = fieldsOf(model.shape, member(doc, 'model'), 'batchMaxWaitMs', 'deadlineMs');
  if (m === undefined || m.batchMaxWaitMs < m.deadlineMs) return;
  issue(ctx, ['model', 'batchMaxWaitMs'], `${m.batchMaxWaitMs} ms is not below model.deadlineMs (${m.deadlineMs} ms): frames would miss their deadline waiting for a batch (lower batchMaxWaitMs)`);
}

/** The longest topic this node publishes to or takes commands on fits MQTT's limit. */
function topicsFit(doc: unknown, ctx: z.RefinementCtx): void {
  const top = fieldsOf(topLevel, doc, 'site', 'node');
  const prefix = fieldsOf(mqtt.shape, sectionOf(doc, 'mqtt'), 'prefix');
  const cameras = items(member(doc, 'cameras')).map((cam) => fieldsOf(camera.shape, cam, 'id', 'line'));
  if (top === undefined || prefix === undefined || !cameras.every((c) => c !== undefined)) return;
  const levels = prefix.prefix ?? defaultPrefix(top.site);
  const topics = [`${levels}/status/${top.node}`, ...cameras.map((c) => `${levels}/${c.line}/${c.id}/threshold/set`)];
  const longest = topics.reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a));
  if (Buffer.byteLength(longest) <= maxTopicBytes) return;
  issue(ctx, ['mqtt', 'prefix'], `the topic ${shown(longest)} would be ${Buffer.byteLength(longest)} bytes; MQTT allows ${maxTopicBytes} (shorten mqtt.prefix, site, node, line or camera ids)`);
}

function tlsNeedsUrl(doc: unknown, ctx: z.RefinementCtx): void {
  const m = fieldsOf(mqtt.shape, sectionOf(doc, 'mqtt'), 'url', 'ca', 'cert', 'key');
  if (m === undefined || m.url !== undefined || (!m.ca && !m.cert && !m.key)) return;
  issue(ctx, ['mqtt', 'url'], 'TLS files given but no mqtt.url (set mqtt.url to your broker, e.g. mqtts://broker:8883)', 'mqtt.ca/cert/key');
}

/** The embedded broker (aedes) speaks MQTT 3.1.1 only. */
function protocol5NeedsUrl(doc: unknown, ctx: z.RefinementCtx): void {
  const m = fieldsOf(mqtt.shape, sectionOf(doc, 'mqtt'), 'url', 'protocolVersion');
  if (m === undefined || m.url !== undefined || m.protocolVersion !== 5) return;
  issue(ctx, ['mqtt', 'protocolVersion'], '5 needs an external broker (mqtt.url): the embedded broker speaks MQTT 3.1.1 only (set 4, or set mqtt.url)');
}

function passwordNeedsUser(doc: unknown, ctx: z.RefinementCtx): void {
  const eb = fieldsOf(embeddedBroker.shape, sectionOf(doc, 'embeddedBroker'), 'username', 'password');
  if (eb?.password === undefined || eb.username !== undefined) return;
  issue(ctx, ['embeddedBroker', 'password'], 'given without embeddedBroker.username (set both, or list accounts under embeddedBroker.users)');
}

function uniqueUserNames(doc: unknown, ctx: z.RefinementCtx): void {
  const section = sectionOf(doc, 'embeddedBroker');
  const shorthand = fieldsOf(embeddedBroker.shape, section, 'username')?.username;
  const names = new Set(shorthand === undefined ? [] : [shorthand]);
  items(member(section, 'users')).forEach((user, i) => {
    const name = fieldsOf(brokerUser.shape, user, 'username')?.username;
    if (name === undefined) return;
    if (names.has(name)) issue(ctx, ['embeddedBroker', 'users', i, 'username'], `"${name}" is used twice (user names must be unique)`);
    names.add(name);
  });
}

function clientCertWithKey(doc: unknown, ctx: z.RefinementCtx): void {
  const m = fieldsOf(mqtt.shape, sectionOf(doc, 'mqtt'), 'cert', 'key');
  if (m === undefined || (m.cert === undefined) === (m.key === undefined)) return;
  issue(ctx, ['mqtt', m.cert === undefined ? 'cert' : 'key'], 'a client certificate needs both cert and key', 'mqtt.cert/mqtt.key');
}

/**
 * Credentials in the URL (percent-encoded) and in the fields must say the same: which pair is meant would be a guess.
 * Both the same was accepted by earlier releases, and still is (with a warning: config/warnings.ts); a password that
 * names a systemd credential is compared once it is read (secrets.ts).
 */
function credentialsAgree(doc: unknown, ctx: z.RefinementCtx): void {
  const m = fieldsOf(mqtt.shape, sectionOf(doc, 'mqtt'), 'url', 'username', 'password');
  if (m?.url === undefined || (m.username === undefined && m.password === undefined)) return;
  // a URL valid on its own parses (fields.ts); the nodes of a broker cluster share one login (mqtt.ts), so the first speaks for all
  const inUrl = parseBrokerUrls(m.url)[0]!;
  if (inUrl.username === undefined) return;
  const differs = (m.username !== undefined && m.username !== inUrl.username) || (m.password !== undefined && inUrl.password !== undefined && !isCredential(m.password) && m.password !== inUrl.password);
  if (differs) issue(ctx, ['mqtt', 'url'], 'has a user name and password that differ from mqtt.username/mqtt.password (give the credentials once: remove them from the URL and keep the fields)');
}

/** One set of credentials: with the embedded broker, the page's logins are its accounts. */
function dashboardUsersNeedExternalBroker(doc: unknown, ctx: z.RefinementCtx): void {
  const m = fieldsOf(mqtt.shape, sectionOf(doc, 'mqtt'), 'url');
  const d = fieldsOf(dashboard.shape, member(doc, 'dashboard') ?? {}, 'users');
  if (m === undefined || d === undefined || m.url !== undefined || d.users.length === 0) return;
  issue(ctx, ['dashboard', 'users'], 'are for an external broker (mqtt.url); with the embedded broker the page logs in with its accounts: move them to embeddedBroker.users (role viewer or operator)');
}

/** Verdicts on JetStream travel on the NATS subjects their topics map to: the prefix must map (sinks/subjects.ts). */
function prefixIsSubject(doc: unknown, ctx: z.RefinementCtx): void {
  if (member(doc, 'jetstream') === undefined) return;
  const top = fieldsOf(topLevel, doc, 'site');
  const prefix = fieldsOf(mqtt.shape, sectionOf(doc, 'mqtt'), 'prefix');
  if (top === undefined || prefix === undefined) return;
  const problem = subjectProblem(prefix.prefix ?? defaultPrefix(top.site));
  if (problem) issue(ctx, ['mqtt', 'prefix'], `with jetstream configured, ${problem}`, prefix.prefix === undefined ? 'site' : undefined);
}

const rules = [uniqueCameraIds, oneThresholdPerProduct, unknownProductHasThreshold, watchdogCoversTwoFrames, genicamFields, partsFitTheCamera, regionsInFrame, batchWaitBelowDeadline, topicsFit, tlsNeedsUrl, protocol5NeedsUrl, passwordNeedsUser, uniqueUserNames, clientCertWithKey, credentialsAgree, dashboardUsersNeedExternalBroker, prefixIsSubject];

/** Every rule, on the document as written; returns it unchanged for the sections' schemas. */
export function crossFieldRules(doc: unknown, ctx: z.RefinementCtx): unknown {
  for (const rule of rules) rule(doc, ctx);
  return doc;
}
