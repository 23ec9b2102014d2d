import type { MqttSink } from '../sinks/mqtt-sink.js';
import type { ServiceBase } from './base.js';
import type { Http } from './http.js';
import type { Part } from './lifecycle.js';
import type { LiveModel } from './model.js';
import { startReporting } from './observability.js';

type Needs = Pick<ServiceBase, 'cfg' | 'logger' | 'notifier' | 'runId'> & { readonly model: LiveModel; readonly http: Http; readonly sink: MqttSink };

/**
 * The service is started: said in the log and to systemd (READY), then its stats every period, on the status topic,
 * in the log and in `systemctl status`, and the watchdog pinged. Stopping says STOPPING to systemd first.
 */
export const reporting: Part<Needs, 'reporting', (reason: string) => void> = {
  name: 'reporting',
  start({ cfg, logger, notifier, runId, model: { loaded }, http: { obs }, sink }) {
    logger.info('service started', { cameras: cfg.cameras.length, runId, node: cfg.node });
    return startReporting(obs, cfg, { sink, notifier, logger, ready: `started ${cfg.cameras.length} camera(s), model ${loaded.id} on ${loaded.description}` });
  },
  stop: (stopReporting, reason) => stopReporting(reason),
};
