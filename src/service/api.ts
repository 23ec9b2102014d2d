import type { Config } from '../config.js';
import type { SupervisorStats } from '../pipeline/supervisor.js';
import type { MqttSinkStats } from '../sinks/mqtt.js';
import type { CameraEvent } from '../sources/events.js';
import type { Notifier } from '../systemd/notify.js';
import type { Decision, Logger } from '../types.js';
import type { InspectionCounts } from './inspection.js';

export interface ServiceOptions {
  readonly logger: Logger;
  /** Load and check the model, start nothing else (`uniad-edge check`). */
  readonly checkOnly?: boolean;
  /** Every decision, after it was handed to the MQTT sink. */
  readonly onDecision?: (decision: Decision) => void;
  readonly onCameraEvent?: (event: CameraEvent) => void;
  /** systemd: READY once the model is loaded and cameras started, WATCHDOG while the event loop answers, STATUS lines. */
  readonly notifier?: Notifier;
}

export interface ServiceCounts extends InspectionCounts {
  readonly mqtt?: MqttSinkStats;
  readonly inference?: SupervisorStats;
  /** Capture restarts per camera since the start. */
  readonly cameraRestarts?: Readonly<Record<string, number>>;
  /** Frames per camera whose model output was not a finite number (each got an `error` verdict). */
  readonly nonFinite?: Readonly<Record<string, number>>;
}

export interface Service {
  readonly modelId: string;
  readonly provider: string;
  /** The embedded broker's URLs, when it runs. */
  readonly brokerUrl?: string;
  readonly brokerWsUrl?: string;
  /** The live dashboard's URL, when it runs. */
  readonly dashboardUrl?: string;
  /** Resolves once everything has stopped. */
  readonly stopped: Promise<void>;
  counts(): ServiceCounts;
  /** Stops cameras, decides and publishes what is in flight, publishes `offline`, closes everything. Idempotent. */
  stop(reason: string): Promise<void>;
  /**
   * Applies a reloaded config (SIGHUP) without stopping a camera: products, thresholds, the thresholds file, and the
   * model when its path or files changed (swapped, with its own thresholds). All or nothing: when anything is
   * invalid the old values stay (logged). Resolves to whether it applied.
   */
  reload(next: Config): Promise<boolean>;
}
