/**
 * The checks that need the config: each camera reachable, the broker reachable, the state folder writable, the
 * TensorRT engine cache present and built for what runs now.
 */
import { accessSync, constants, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { engineCacheState, fileSha256, type EngineIdentity } from '../pipeline/engine-cache.js';
import { loadSidecar } from '../pipeline/sidecar.js';
import { batchProfile } from '../pipeline/tensorrt-options.js';
import { isNamed, listGenicamCameras } from '../sources/genicam-list.js';
import { describeSource } from '../sources/uri.js';
import { statePaths } from '../state-dir.js';
import type { Finding } from './findings.js';

const timeoutMs = 3000;

/** Opens a TCP connection and, when `hello` is given, sends it and resolves with the first bytes back. */
function tcp(host: string, port: number, hello?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (err: Error) => (socket.destroy(), reject(err));
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer within ${timeoutMs / 1000} s`)));
    socket.once('error', fail);
    socket.once('connect', () => {
      if (hello === undefined) return socket.end(), resolve('');
      socket.write(hello);
      socket.once('data', (d) => (socket.destroy(), resolve(d.toString('latin1'))));
    });
  });
}

async function cameraFinding(cam: Config['cameras'][number], elements: ReadonlySet<string>): Promise<Finding> {
  const check = `camera ${cam.id}`;
  const source = describeSource(cam.spec);
  const spec = cam.spec;
  switch (spec.kind) {
    case 'rtsp': {
      const url = new URL(spec.uri);
      const port = Number(url.port || 554);
      try {
        // An RTSP OPTIONS request: proves a server answers RTSP there, without the credentials a DESCRIBE needs.
        const reply = await tcp(url.hostname, port, `OPTIONS ${spec.uri} RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
        if (reply.startsWith('RTSP/1.0')) return { check, status: 'ok', detail: `${source}: RTSP server answers (${reply.split('\r\n')[0]})` };
        return { check, status: 'missing', detail: `${source}: something answers on port ${port}, but not RTSP`, fix: 'check the host and port in the camera URI (and that no proxy sits in between)' };
      } catch (err) {
        return { check, status: 'missing', detail: `${source}: ${(err as Error).message}`, fix: 'check that the camera is on, its address and port, and the network between' };
      }
    }
    case 'file':
      try {
        accessSync(spec.path, constants.R_OK);
        return { check, status: 'ok', detail: `${source} is readable` };
      } catch (err) {
        return { check, status: 'missing', detail: `${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, fix: 'put the file there, readable by the service user' };
      }
    case 'v4l2':
      return existsSync(spec.device)
        ? { check, status: 'ok', detail: `${spec.device} exists` }
        : { check, status: 'missing', detail: `${spec.device} does not exist`, fix: 'plug the camera in (ls /dev/video*), and check the service user is in group video' };
    case 'csi':
      return elements.has('nvarguscamerasrc')
        ? { check, status: 'ok', detail: `${source}: nvarguscamerasrc found (the sensor itself is opened at start)` }
        : { check, status: 'missing', detail: `${source}: nvarguscamerasrc not found`, fix: 'sudo apt install nvidia-l4t-gstreamer' };
    case 'test':
      return { check, status: 'ok', detail: `${source} (GStreamer test pattern)` };
    case 'genicam': {
      let found;
      try {
        found = await listGenicamCameras();
      } catch (err) {
        return { check, status: 'missing', detail: `${source}: cannot ask Aravis for cameras: ${(err as Error).message}`, fix: 'sudo apt install libaravis-0.8-0 gir1.2-aravis-0.8 python3-gi python3-gst-1.0 (scripts/setup.sh)' };
      }
      const camera = found.find((f) => isNamed(spec, f));
      if (camera !== undefined) return { check, status: 'ok', detail: `${source}: ${camera.vendor} ${camera.model}, serial ${camera.serial}, at ${camera.address} (${camera.protocol})` };
      const seen = found.map((f) => `${f.id} (serial ${f.serial}, ${f.address})`).join(', ') || 'none';
      return {
        check,
        status: 'missing',
        detail: `${source}: not among the cameras Aravis finds: ${seen}`,
        fix: 'check the camera is powered and on this host\'s camera network (docs/genicam.md); a user-defined name is only found when the camera opens, at start',
      };
    }
  }
}

/** One finding a broker URL: each node of a clustered broker (a list in mqtt.url) is probed on its own. */
async function brokerFindings(cfg: Config): Promise<Finding[]> {
  if (cfg.mqtt.url === undefined) {
    return [{ check: 'broker', status: 'info', detail: `embedded broker, started by the service on ${cfg.embeddedBroker.host}:${cfg.embeddedBroker.port}` }];
  }
  const urls = typeof cfg.mqtt.url === 'string' ? [cfg.mqtt.url] : cfg.mqtt.url;
  return Promise.all(urls.map((u) => brokerFinding(u)));
}

async function brokerFinding(text: string): Promise<Finding> {
  const url = new URL(text);
  const defaults: Record<string, number> = { 'mqtt:': 1883, 'tcp:': 1883, 'mqtts:': 8883, 'ssl:': 8883, 'ws:': 80, 'wss:': 443 };
  const port = Number(url.port || defaults[url.protocol] || 1883);
  try {
    await tcp(url.hostname, port);
    return { check: 'broker', status: 'ok', detail: `${url.hostname}:${port} accepts connections (credentials and TLS are checked at start)` };
  } catch (err) {
    return { check: 'broker', status: 'missing', detail: `${url.hostname}:${port}: ${(err as Error).message}`, fix: 'check mqtt.url, that the broker runs, and the firewall between' };
  }
}

function stateDirFinding(stateDir: string): Finding {
  const probe = join(stateDir, `.doctor-${process.pid}`);
  try {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe);
    return { check: 'state folder', status: 'ok', detail: `${stateDir} is writable` };
  } catch (err) {
    return { check: 'state folder', status: 'missing', detail: `${stateDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, fix: `sudo install -d -o uniad ${stateDir} (or set stateDir in the config)` };
  }
}

/** What runs now, for the engine cache; undefined parts mean TensorRT cannot run here. */
export interface EngineFacts {
  readonly onnxruntime?: string;
  readonly tensorrt?: string;
  readonly gpu?: string;
}

async function engineCacheFinding(cfg: Config, facts: EngineFacts): Promise<Finding> {
  const check = 'engine cache';
  if (!cfg.model.providers.includes('tensorrt')) return { check, status: 'info', detail: 'tensorrt is not in model.providers' };
  if (!cfg.model.tensorrt.engineCache) return { check, status: 'warn', detail: 'model.tensorrt.engineCache is false: every start builds the engine', fix: 'set model.tensorrt.engineCache: true' };
  const { onnxruntime, tensorrt, gpu } = facts;
  if (onnxruntime === undefined || tensorrt === undefined || gpu === undefined) return { check, status: 'info', detail: 'no TensorRT or no NVIDIA GPU here: nothing to cache' };
  const dir = statePaths(cfg.stateDir).engineCache;
  let identity: EngineIdentity;
  try {
    const input = loadSidecar(cfg.model.path).input;
    const profile = batchProfile({ tensorrt: cfg.model.tensorrt, engineCacheDir: dir, inputName: 'image', height: input.height, width: input.width, batchMaxSize: cfg.model.batchMaxSize });
    identity = { model: await fileSha256(cfg.model.path), onnxruntime, tensorrt, gpu, precision: cfg.model.tensorrt.fp16 ? 'fp16' : 'fp32', profile: `${profile.min}..${profile.max}` };
  } catch (err) {
    return { check, status: 'missing', detail: `cannot read the model: ${(err as Error).message}`, fix: 'uniad-edge check --config FILE says what is wrong with it' };
  }
  const state = engineCacheState(dir, identity);
  const build = 'uniad-edge check --config FILE builds it now, ahead of the shift';
  if (state.state === 'valid') return { check, status: 'ok', detail: `${dir}: built for this model, onnxruntime ${onnxruntime}, TensorRT ${tensorrt}, ${gpu}, ${identity.precision}` };
  if (state.state === 'absent') return { check, status: 'warn', detail: `${dir}: no engine yet; the first start builds it (minutes)`, fix: build };
  return { check, status: 'warn', detail: `${dir}: stale (${state.reasons.join('; ')}); the next start builds it again`, fix: build };
}

export async function configFindings(cfg: Config, elements: ReadonlySet<string>, engine: EngineFacts): Promise<Finding[]> {
  const cameras = await Promise.all(cfg.cameras.map((cam) => cameraFinding(cam, elements)));
  return [...cameras, ...(await brokerFindings(cfg)), stateDirFinding(cfg.stateDir), await engineCacheFinding(cfg, engine)];
}
