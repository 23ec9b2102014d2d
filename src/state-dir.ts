/**
 * The one folder that holds everything uniad-edge keeps between runs, and the name of every path in it. Pure.
 *
 * Which folder (first that applies):
 *   1. `stateDir` from the config (relative paths resolve against the config file's folder, in config/paths.ts);
 *   2. systemd's `$STATE_DIRECTORY` (set by `StateDirectory=uniad-edge` in the unit; the first path if it lists several);
 *   3. `/var/lib/uniad-edge` when running as root (a system service without systemd);
 *   4. `$XDG_STATE_HOME/uniad-edge`, else `~/.local/state/uniad-edge` (a user trying it out).
 *
 * Nobody spells a path under it twice: take it from `statePaths`.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Default for a root process without systemd (FHS: variable state of a system service). */
export const systemStateDir = '/var/lib/uniad-edge';

/** The state folder to use; always an absolute path. `uid` is the process's user id (-1 where there is none). */
export function resolveStateDir(configured?: string, env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? -1): string {
  if (configured !== undefined && configured !== '') return resolve(configured);
  // systemd joins several StateDirectory= entries with ':'; ours is the first
  const systemd = env.STATE_DIRECTORY?.split(':')[0];
  if (systemd) return resolve(systemd);
  if (uid === 0) return systemStateDir;
  const xdg = env.XDG_STATE_HOME;
  // XDG says a relative $XDG_STATE_HOME is invalid and must be ignored
  if (xdg && xdg.startsWith('/')) return join(xdg, 'uniad-edge');
  return join(env.HOME || homedir(), '.local', 'state', 'uniad-edge');
}

/** Every path under the state folder. */
export interface StatePaths {
  readonly root: string;
  /** Lock file of the running instance (holds its PID); `run` and `demo` take it. */
  readonly lock: string;
  /** Offline MQTT queue (outbox) folder. */
  readonly queue: string;
  /** Messages the broker refused, set aside with the reason. */
  readonly deadLetter: string;
  /** Evidence of rejects: frame, heatmap, verdict. */
  readonly archive: string;
  /** Built TensorRT engines. */
  readonly engineCache: string;
  /** Thresholds changed at run time over MQTT, kept across restarts. */
  readonly liveThresholds: string;
  /** The product each line's recipe selected over MQTT, kept across restarts (an embedded broker forgets retained messages). */
  readonly recipes: string;
  /** The shadow model's latest comparison with the live one (`uniad-edge shadow-report`). */
  readonly shadowReport: string;
  /** The OPC UA client certificates and trusted servers of the cameras' part signals, a folder per camera. */
  readonly opcuaPki: string;
  /** The model registry: every model added, the active one and who promoted it when (src/registry/). */
  readonly models: string;
  /** The default dataset folder (config `dataset`): operator feedback adds frames to it, collect and train read it. */
  readonly dataset: string;
  /** A fleet rollout's downloads (service/rollout.ts), verified, before they are added to the registry. */
  readonly rollout: string;
}

export function statePaths(stateDir: string): StatePaths {
  return {
    root: stateDir,
    lock: join(stateDir, 'lock'),
    queue: join(stateDir, 'queue'),
    deadLetter: join(stateDir, 'dead-letter'),
    archive: join(stateDir, 'archive'),
    engineCache: join(stateDir, 'engine-cache'),
    liveThresholds: join(stateDir, 'live-thresholds.json'),
    recipes: join(stateDir, 'recipes.json'),
    shadowReport: join(stateDir, 'shadow-report.json'),
    opcuaPki: join(stateDir, 'opcua-pki'),
    models: join(stateDir, 'models'),
    dataset: join(stateDir, 'dataset'),
    rollout: join(stateDir, 'rollout'),
  };
}
