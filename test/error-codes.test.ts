/**
 * One test per error code that no other test provokes in this process: each makes the error happen the way a user would meet it
 * and checks its code and what its message tells them. test/errors-table.test.ts checks that every code has one.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrate } from '../src/calibrate/calibrate.js';
import { listNormalImages } from '../src/calibrate/image-folders.js';
import { loadConfig, parseConfig } from '../src/config.js';
import { testImages } from '../src/evaluation/dataset.js';
import { EvidenceArchive } from '../src/evidence/archive.js';
import { silentLogger } from '../src/log.js';
import { dryRun } from '../src/pipeline/dry-run.js';
import { InferenceEngine } from '../src/pipeline/engine.js';
import { loadThresholdsFile } from '../src/pipeline/thresholds-file.js';
import { parseBrokerUrl } from '../src/sinks/broker-url.js';
import { startEmbeddedBroker } from '../src/broker/embedded-broker.js';
import { connectOptions } from '../src/sinks/connect-options.js';
import { MqttSink } from '../src/sinks/mqtt-sink.js';
import { verdictTopic } from '../src/sinks/topics.js';
import { parseSourceUri } from '../src/sources/uri.js';
import { openOutboxStore } from '../src/service/outbox-store.js';
import { StatusCauses } from '../src/sinks/status-causes.js';
import { processStartTime, takeStateLock } from '../src/state-lock.js';
import { freePort } from './support/free-port.js';
import { tinyModels } from './setup/tiny-model.js';
import { mqttConfig, nodeInfo } from './sinks/fixtures.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-errors-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** What `fn` threw (or its promise rejected with); fails the test if it did not. */
async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, none was thrown');
}

describe('config errors', () => {
  it('should give CONFIG_INVALID naming the field and the fix', async () => {
    expect(await caught(() => parseConfig({ cameras: [] }))).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('cameras: add at least one camera') });
  });

  it('should give CONFIG_READ naming a config file that cannot be read', async () => {
    const path = join(tempDir(), 'missing.yaml');
    expect(await caught(() => loadConfig(path))).toMatchObject({ code: 'CONFIG_READ', message: expect.stringContaining(`cannot read "${path}"`) });
  });

  it('should give CONFIG_YAML for a file that is not YAML', async () => {
    const path = join(tempDir(), 'broken.yaml');
    writeFileSync(path, 'cameras: [\n');
    expect(await caught(() => loadConfig(path))).toMatchObject({ code: 'CONFIG_YAML', message: expect.stringContaining(`"${path}" is not valid YAML`) });
  });

  it('should give SOURCE_URI for an empty source and SOURCE_SCHEME for an unknown scheme', async () => {
    expect(await caught(() => parseSourceUri(' ', 'cameras[0].source'))).toMatchObject({ code: 'SOURCE_URI', message: expect.stringContaining('cameras[0].source: empty source') });
    expect(await caught(() => parseSourceUri('ftp://cam/1', 'cameras[1].source'))).toMatchObject({ code: 'SOURCE_SCHEME', message: expect.stringContaining('cameras[1].source: unsupported scheme "ftp"') });
  });

  it('should give MQTT_URL for a broker URL that is not one, an unknown scheme, or a password with a raw "#"', async () => {
    expect(await caught(() => parseBrokerUrl('not a url'))).toMatchObject({ code: 'MQTT_URL', message: expect.stringContaining('mqtt.url: it is not a URL') });
    expect(await caught(() => parseBrokerUrl('http://127.0.0.1:1883'))).toMatchObject({ code: 'MQTT_URL', message: expect.stringContaining('scheme "http" (use mqtt://') });
    const error = await caught(() => parseBrokerUrl('mqtt://op:se#cret@127.0.0.1:1883'));
    expect(error).toMatchObject({ code: 'MQTT_URL', message: expect.stringContaining('must be percent-encoded') });
    expect((error as Error).message).not.toContain('se#cret');
  });

  it('should give THRESHOLDS_FILE for a thresholds file that is not there', async () => {
    const path = join(tempDir(), 'thresholds.json');
    expect(await caught(() => loadThresholdsFile(path))).toMatchObject({ code: 'THRESHOLDS_FILE', message: expect.stringContaining(`thresholds file "${path}": not found`) });
  });
});

describe('model errors', () => {
  it('should give MODEL_READ for a model file that is not there', async () => {
    const path = join(tempDir(), 'absent.onnx');
    expect(await caught(() => InferenceEngine.open({ modelPath: path, providers: ['cpu'] }))).toMatchObject({ code: 'MODEL_READ', message: `model: cannot read "${path}": no such file` });
  });

  it('should give MODEL_NON_FINITE when the dry run of a model scores NaN', async () => {
    const engine = await InferenceEngine.open({ modelPath: tinyModels.nan, providers: ['cpu'] });
    try {
      expect(await caught(() => dryRun(engine, tinyModels.nan))).toMatchObject({ code: 'MODEL_NON_FINITE', message: expect.stringContaining('black frame: score is NaN') });
    } finally {
      await engine.close();
    }
  });
});

describe('MQTT errors', () => {
  it('should give MQTT_NO_URL for a sink with no broker to go to', async () => {
    expect(await caught(() => new MqttSink({ mqtt: mqttConfig('uniad/none'), info: nodeInfo('n'), logger: silentLogger }))).toMatchObject({ code: 'MQTT_NO_URL' });
  });

  it('should give TOPIC_LEVEL for a line or camera name that would break the topic', async () => {
    expect(await caught(() => verdictTopic('uniad/site', 'line/2', 'cam'))).toMatchObject({ code: 'TOPIC_LEVEL', message: expect.stringContaining('topic level line "line/2"') });
  });

  it('should give MQTT_TLS_FILE naming the field and the file that cannot be read', async () => {
    const ca = join(tempDir(), 'ca.pem');
    const settings = { mqtt: { rejectUnauthorized: true, ca }, protocolVersion: 4 as const, will: { topic: 't', payload: 'p' }, defaultClientId: 'c' };
    expect(await caught(() => connectOptions(settings))).toMatchObject({ code: 'MQTT_TLS_FILE', message: expect.stringContaining(`mqtt.ca: cannot read "${ca}"`) });
  });

  it('should give MQTT_CONNECT when no broker answers in time', async () => {
    const url = `mqtt://127.0.0.1:${await freePort()}`;
    const sink = new MqttSink({ url, mqtt: mqttConfig('uniad/nobody'), info: nodeInfo('n'), logger: silentLogger, reconnectPeriodMs: 50 });
    try {
      expect(await caught(() => sink.link.ready(300))).toMatchObject({ code: 'MQTT_CONNECT', message: expect.stringContaining(`cannot connect to ${url}: no connection within 300 ms`) });
    } finally {
      await sink.close();
    }
  });

  it('should give BROKER_LISTEN when the embedded broker\'s port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      expect(await caught(() => startEmbeddedBroker({ host: '127.0.0.1', port, wsPort: 0 }, silentLogger))).toMatchObject({
        code: 'BROKER_LISTEN',
        message: expect.stringContaining(`cannot listen (mqtt) on 127.0.0.1:${port}`),
      });
      // a config's fix is its key
      expect(await caught(() => startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: port }, silentLogger))).toMatchObject({
        message: expect.stringMatching(new RegExp(`cannot listen \\(websocket\\) on 127\\.0\\.0\\.1:${port}: .*move it with embeddedBroker\\.wsPort;`)),
      });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('should give OUTBOX_STORE, as a cause of degraded, for a queue file that cannot be read (a folder in its place), and queue in memory', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'outbox.log'));
    const causes = new StatusCauses();
    const store = openOutboxStore({ store: 'disk', dir, maxMessages: 10 }, causes, silentLogger);
    try {
      expect(causes.list()).toEqual([{ code: 'OUTBOX_STORE', message: expect.stringContaining(`cannot read "${join(dir, 'outbox.log')}": EISDIR`) }]);
      store.put('t', 'p');
      expect(store.size).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe('state folder errors', () => {
  it('should give INSTANCE_RUNNING naming the PID of a live process that holds the state folder', async () => {
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => other.once('spawn', resolve));
      const lock = join(tempDir(), 'lock');
      symlinkSync(`${other.pid}:${processStartTime(other.pid!)}`, lock);
      expect(await caught(() => takeStateLock(lock))).toMatchObject({ code: 'INSTANCE_RUNNING', message: expect.stringContaining(`another uniad-edge (PID ${other.pid})`) });
    } finally {
      other.kill();
    }
  });

  it('should give ARCHIVE_DIR for an evidence archive that cannot be read (a file in its place)', async () => {
    const file = join(tempDir(), 'archive');
    writeFileSync(file, 'not a folder\n');
    expect(await caught(() => new EvidenceArchive({ dir: file, maxBytes: 1e6, maxAgeMs: 1e6, goodSampleEvery: 0, logger: silentLogger }))).toMatchObject({
      code: 'ARCHIVE_DIR',
      message: expect.stringContaining(`evidence archive: cannot read "${file}": ENOTDIR`),
    });
  });

  it('should give STATE_DIR for a state folder that cannot hold the lock (a file in its place)', async () => {
    const file = join(tempDir(), 'state');
    writeFileSync(file, 'not a folder\n');
    expect(await caught(() => takeStateLock(join(file, 'lock')))).toMatchObject({ code: 'STATE_DIR', message: expect.stringContaining(`state folder "${file}" cannot be written: no instance lock (EEXIST)`) });
  });
});

describe('command errors', () => {
  it('should give EVAL_DATA for a benchmark folder that is not there', async () => {
    const root = join(tempDir(), 'no-benchmark');
    expect(await caught(() => testImages(root))).toMatchObject({ code: 'EVAL_DATA', message: expect.stringContaining(`"${root}" no such folder`) });
  });

  it('should give USAGE for an images folder with no product folders in it', async () => {
    const dir = tempDir();
    expect(await caught(() => listNormalImages(dir))).toMatchObject({ code: 'USAGE', message: expect.stringContaining('has no <product>/*.png') });
  });

  it('should give CALIBRATE for an image that is not a PNG', async () => {
    const images = tempDir();
    mkdirSync(join(images, 'bolt'));
    writeFileSync(join(images, 'bolt', 'part.png'), 'not a png');
    const err = await caught(() => calibrate({ modelPath: tinyModels.ok, imagesDir: images, target: 0.05, out: tempDir(), providers: ['cpu'], logger: silentLogger }));
    expect(err).toMatchObject({ code: 'CALIBRATE', message: expect.stringContaining(`cannot read "${join(images, 'bolt', 'part.png')}" as a PNG`) });
  });
});
