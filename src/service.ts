import { randomInt } from 'node:crypto';
import type { Config } from './config.js';
import { StatusCauses } from './sinks/status-causes.js';
import type { Service, ServiceOptions } from './service/api.js';
import { archive } from './service/archive.js';
import { broker } from './service/broker.js';
import { cameras } from './service/cameras.js';
import { commands } from './service/commands.js';
import { http } from './service/http.js';
import { inspection } from './service/inspection.js';
import { lifecycle } from './service/lifecycle.js';
import { control } from './service/line-control.js';
import { model } from './service/model.js';
import { parts } from './service/parts.js';
import { activeModelConfig, registry } from './service/registry.js';
import { rollout } from './service/rollout.js';
import { reload } from './service/reload.js';
import { reporting } from './service/reporting.js';
import { runningService } from './service/running.js';
import { shadow } from './service/shadow.js';
import { sink } from './service/sink.js';

export type { PortSettings, Service, ServiceCounts, ServiceOptions } from './service/api.js';

/**
 * The run's part of every verdict id: the start time, and random digits after it, for a box without an RTC battery
 * may start two runs at the same wrong time (the epoch, or the last saved one): the same id again would be dropped as
 * a duplicate by every subscriber.
 */
export const runIdAt = (startedAt: number): string => `${startedAt.toString(36)}${randomInt(36 ** 3).toString(36).padStart(3, '0')}`;

/**
 * Wires sources → pipeline → sinks for one config: one capture process per camera, one inference worker for all of
 * them, one MQTT connection (to `mqtt.url`, or to the embedded broker started here when it is absent). The parts
 * start in this order, each with what the ones before it gave (service/lifecycle.ts), and stop in reverse: on stop(),
 * when all cameras end, and on any failure while starting, which is thrown once what had started has stopped.
 */
export async function startService(cfg: Config, opts: ServiceOptions): Promise<Service> {
  const { logger } = opts;
  for (const w of cfg.warnings) logger.warn(`config: ${w.field}: ${w.message}`);
  const startedAt = Date.now();
  const running = lifecycle({ ...opts, cfg: activeModelConfig(cfg), configured: cfg, startedAt, runId: runIdAt(startedAt), causes: opts.causes ?? new StatusCauses() })
    .with(model)
    .with(broker)
    .with(sink)
    .with(control)
    .with(http)
    .with(shadow)
    .with(archive)
    .with(parts)
    .with(cameras)
    .with(inspection)
    .with(reporting)
    .with(reload)
    .with(registry)
    .with(rollout)
    .with(commands)
    .start({
      stopping: (reason) => logger.info('stopping', { reason }),
      stopFailed: (part, err) => logger.error('a part did not stop cleanly; the others stop all the same', { part, error: (err as Error).message }),
    });
  return runningService(await running.started, running, logger);
}
