/**
 * Every error a user can meet, one table. A message carries the bad value and says what to do.
 * Modules throw `uniadError('CODE', ...args)`; the CLI prints `message` and exits non-zero.
 * Each code has a row in docs/errors.md (meaning, what to do) and a test that provokes it (test/errors-table.test.ts
 * checks both).
 */
const table = {
  CONFIG_INVALID: (issues: string) => `config: ${issues}`,
  CONFIG_READ: (path: string, why: string) => `config: cannot read "${path}": ${why} (pass an existing YAML file with --config)`,
  CONFIG_YAML: (path: string, why: string) => `config: "${path}" is not valid YAML: ${why}`,
  SOURCE_URI: (field: string, uri: string, why: string) => `config: ${field}: ${why} in "${uri}" (use rtsp://host/path, file:///abs/path.mp4 or a path, v4l2:///dev/videoN, csi://N, test:[pattern])`,
  SOURCE_SCHEME: (field: string, scheme: string) => `config: ${field}: unsupported scheme "${scheme}" (use rtsp, file, v4l2, csi, test)`,
  SOURCE_NVMM: (camera: string, missing: string) => `camera ${camera}: a CSI camera needs the Jetson GStreamer elements ${missing}, which gst-inspect-1.0 does not find (install nvidia-l4t-gstreamer, or run uniad-edge doctor)`,
  TENSORRT_SETTINGS: (settings: string, why: string) => `model.tensorrt: ${settings} cannot reach TensorRT: ${why} (build onnxruntime-node with deploy/jetson/build-onnxruntime.sh, or set ${settings} to false / remove them to run TensorRT with its defaults: FP32, engine built at every start)`,
  ONNXRUNTIME_VERSION: (issues: string) => `onnxruntime: ${issues}`,
  MODEL_READ: (path: string, why: string) => `model: cannot read "${path}": ${why}`,
  MODEL_NOT_ONNX: (path: string, why: string) => `model: "${path}" is not a loadable ONNX model: ${why}`,
  MODEL_CONTRACT: (path: string, diffs: string) => `model: "${path}" does not follow the model contract: ${diffs}`,
  SIDECAR: (path: string, why: string) => `model: sidecar "${path}": ${why}`,
  PROVIDERS: (tried: string) => `model: no execution provider could load the model (${tried}); add "cpu" to model.providers`,
  INFERENCE: (why: string) => `inference: ${why}`,
  INFERENCE_FAILING: (failures: string, why: string) => `inference: ${failures} failures in a row, the last: ${why}; every frame gets a fail-safe "error" verdict until a run succeeds (see the log; check the model and the machine's memory)`,
  NON_FINITE_OUTPUT: (model: string, cameras: string, what: string, decision: string) =>
    `inference: model ${model} gives output that is not a finite number for camera ${cameras} (${what}); those parts get "error" verdicts (${decision}) until it is finite again (check the model with "uniad-edge check", and the cameras' images)`,
  MODEL_NON_FINITE: (path: string, what: string) => `model: "${path}" gives output that is not a finite number on a test frame (${what}); every part would get an "error" verdict (re-export it; look for NaN weights, a division by zero or a log of zero)`,
  INFERENCE_WORKER_EXITED: (state: string, frames: string) => `inference: the worker ${state} before a batch of ${frames} frames was scored`,
  INFERENCE_WORKER_ENDED: (state: string) => `inference: the worker ${state}; open a new engine`,
  INFERENCE_RESTARTING: (lastFailure: string) => `inference: no inference worker while it restarts (after: ${lastFailure}); frames get fail-safe verdicts until it is back`,
  MODEL_INPUT_SIZE: (model: string, takes: string, delivered: string) => `inference: the model ${model} takes ${takes}, the cameras deliver ${delivered} (restart the service to change the input size)`,
  FRAME_SIZE: (frame: string, got: string, want: string) => `inference: frame ${frame} is ${got}, the model takes ${want} RGB (scale or crop the camera to the model's input size)`,
  MQTT_NO_URL: () => 'mqtt: no broker URL (set mqtt.url, or start the embedded broker and pass its URL)',
  TOPIC_LEVEL: (level: string, value: string) => `mqtt: topic level ${level} "${value}" must be non-empty and contain none of / + # NUL (rename it in the config)`,
  MQTT_TLS_FILE: (field: string, path: string, why: string) => `mqtt.${field}: cannot read "${path}": ${why} (point mqtt.${field} at a readable PEM file)`,
  MQTT_CONNECT: (url: string, why: string) => `mqtt: cannot connect to ${url}: ${why} (check mqtt.url, the broker, and mqtt.username/password)`,
  BROKER_LISTEN: (listener: string, host: string, port: string, why: string) => `embedded broker: cannot listen (${listener}) on ${host}:${port}: ${why} (free the port, or set embeddedBroker.port / wsPort; 0 picks a free one)`,
  OUTBOX_STORE: (path: string, why: string) => `mqtt offline queue: "${path}": ${why} (the folder must be writable by the service; delete a corrupt queue file to start empty)`,
  EVAL_DATA: (path: string, why: string) => `evaluate: "${path}" ${why} (pass a folder built by python -m models.benchmark.build or models.benchmark.unseen_defects)`,
  THRESHOLDS_FILE: (path: string, why: string) => `thresholds file "${path}": ${why} (write it with uniad-edge calibrate, or fix thresholdsFile in the config)`,
  CALIBRATE: (why: string) => `calibrate: ${why}`,
  INSTANCE_RUNNING: (pid: string, lock: string) =>
    `another uniad-edge (PID ${pid}) is running with this state folder (lock "${lock}"); stop it first (e.g. systemctl stop uniad-edge), or give this one its own stateDir`,
  QUEUE_DISK: (path: string, why: string) =>
    `mqtt offline queue: cannot write "${path}" (${why}); verdicts queue in memory only, lost if the service stops, until it can (free space on that disk; the queue goes back to disk by itself)`,
  SOURCE_FRAMES_LOST: (camera: string, got: string, expected: string) =>
    `camera ${camera}: the decoder delivered ${got} of the ${expected} frames its file holds; ${Number(expected) - Number(got)} parts were never inspected (the file is damaged: re-record or re-encode it)`,
  MQTT_URL: (field: string, why: string) => `config: ${field}: ${why}`,
  CLIENT_ID_TAKEOVER: (clientId: string, node: string) =>
    `mqtt: another instance connects with client id "${clientId}" as node "${node}" and the broker keeps handing the connection over; verdicts wait in the queue meanwhile (stop the other instance, or give each its own node and mqtt.clientId)`,
  USAGE: (why: string) => `usage: ${why} (see uniad-edge --help)`,
} as const;

export type ErrorCode = keyof typeof table;

export class UniadError extends Error {
  override readonly name = 'UniadError';
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

/** Builds the error for `code`, type-checking its arguments against the table. */
export function uniadError<C extends ErrorCode>(code: C, ...args: Parameters<(typeof table)[C]>): UniadError {
  return new UniadError(code, (table[code] as (...a: string[]) => string)(...args));
}

export const errorCodes = Object.keys(table) as ErrorCode[];
