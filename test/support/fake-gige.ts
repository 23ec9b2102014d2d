/**
 * Aravis's simulated GigE Vision camera (`arv-fake-gv-camera-0.8`, Debian aravis-tools) on a network of its own: a
 * network namespace joined to this one by a veth pair, with a random 10.x.y.0/24 subnet, so test runs side by side
 * on one box do not meet. On loopback Aravis finds the camera through whichever interface answers its discovery
 * first (this box's LAN address, seen), then binds its stream there and receives no frame (docs/genicam.md); a veth
 * pair is a real Ethernet link, like the NIC a plant's camera hangs on. Needs root (CI runs as root): `skipReason`
 * says why a suite cannot run. Everything made is removed by `stop()`, and at this process's exit if a test forgot.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { listGenicamCameras } from '../../src/sources/genicam-list.js';

export interface FakeGigeOptions {
  /** The camera's serial number; its Aravis id is `Aravis-Fake-<serial>`. */
  readonly serial?: string;
  /** GVSP packets the camera drops on purpose, per thousand (its `-r`). */
  readonly lossPerThousand?: number;
}

export interface FakeGige {
  readonly serial: string;
  /** What `genicam://` names it by: `Aravis-Fake-<serial>`. */
  readonly id: string;
  /** The camera's IP address (in its namespace). */
  readonly address: string;
  readonly pid: () => number;
  /** SIGKILL the camera, as a camera that loses power. */
  kill(): Promise<void>;
  /** Start the camera again (after kill), found by discovery before this resolves. */
  start(): Promise<void>;
  /** The camera, its namespace and its link: gone. */
  stop(): Promise<void>;
}

const fakeCamera = 'arv-fake-gv-camera-0.8';

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why these tests cannot run here; undefined when they can. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to make a network namespace for the fake GigE camera (CI runs as root)';
  if (!has('ip')) return 'needs iproute2 (scripts/setup.sh)';
  if (!has(fakeCamera)) return `needs ${fakeCamera} (aravis-tools, scripts/setup.sh)`;
  try {
    execFileSync('/usr/bin/python3', ['-c', "import gi; gi.require_version('Aravis', '0.8'); from gi.repository import Aravis"], { stdio: 'ignore' });
  } catch {
    return 'needs python3-gi and gir1.2-aravis-0.8 (scripts/setup.sh)';
  }
  return undefined;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** A /24 in 10.0.0.0/8 that no route of this box covers yet. */
function freeSubnet(): string {
  const routes = execFileSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' });
  for (let tries = 0; tries < 1000; tries++) {
    const [a, b] = randomBytes(2);
    const subnet = `10.${64 + (a! % 180)}.${b!}`;
    if (!routes.includes(`${subnet}.`)) return subnet;
  }
  throw new Error(`no /24 in 10.64.0.0-10.243.255.0 free of this box's routes after 1000 draws:\n${routes}`);
}

/** Polls Aravis's discovery until it lists `serial`; each poll takes about a second. */
async function discovered(serial: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: string[] = [];
  while (Date.now() < deadline) {
    seen = (await listGenicamCameras()).map((c) => c.serial);
    if (seen.includes(serial)) return;
    await sleep(200);
  }
  throw new Error(`fake GigE camera ${serial} not discovered within ${timeoutMs} ms (Aravis lists: ${seen.join(', ') || 'none'})`);
}

export async function startFakeGige(opts: FakeGigeOptions = {}): Promise<FakeGige> {
  const tag = randomBytes(3).toString('hex');
  const ns = `uniadcam-${tag}`;
  const host = `ug${tag}a`;
  const peer = `ug${tag}b`;
  const serial = opts.serial ?? `T${tag.toUpperCase()}`;
  const subnet = freeSubnet();
  const address = `${subnet}.2`;

  let camera: ChildProcess | undefined;
  let removed = false;
  const removeSync = () => {
    if (removed) return;
    removed = true;
    camera?.kill('SIGKILL');
    for (const args of [['netns', 'del', ns], ['link', 'del', host]]) {
      try {
        ip(...args);
      } catch {
        // already gone (the namespace takes its end of the pair along)
      }
    }
  };
  process.once('exit', removeSync);

  const launch = async () => {
    const args = ['netns', 'exec', ns, fakeCamera, '-i', address, '-s', serial, ...(opts.lossPerThousand === undefined ? [] : ['-r', String(opts.lossPerThousand)])];
    camera = spawn('ip', args, { stdio: 'ignore' });
    await discovered(serial);
  };
  const killed = async () => {
    const proc = camera;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await gone;
  };

  try {
    ip('netns', 'add', ns);
    ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
    ip('link', 'set', peer, 'netns', ns);
    ip('addr', 'add', `${subnet}.1/24`, 'dev', host);
    ip('link', 'set', host, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', peer);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', peer, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    await launch();
  } catch (err) {
    removeSync();
    throw err;
  }

  return {
    serial,
    id: `Aravis-Fake-${serial}`,
    address,
    pid: () => camera!.pid!,
    kill: killed,
    start: launch,
    stop: async () => {
      await killed();
      removeSync();
      process.removeListener('exit', removeSync);
    },
  };
}
