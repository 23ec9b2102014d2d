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
  SOURCE_URI: (field: string, uri: string, why: string) => `config: ${field}: ${why} in "${uri}" (use rtsp://host/path, file:///abs/path.mp4 or a path, v4l2:///dev/videoN, csi://N, genicam://camera, test:[pattern])`,
  SOURCE_SCHEME: (field: string, scheme: string) => `config: ${field}: unsupported scheme "${scheme}" (use rtsp, file, v4l2, csi, genicam, test)`,
  SOURCE_NVMM: (camera: string, missing: string) => `camera ${camera}: a CSI camera needs the Jetson GStreamer elements ${missing}, which gst-inspect-1.0 does not find (install nvidia-l4t-gstreamer, or run uniad-edge doctor)`,
  SOURCE_CROP: (camera: string, crop: string, image: string) =>
    `camera ${camera}: the crop (${crop}) lies outside the camera's image of ${image}; no frame can be taken (make the crop fit: x + width and y + height within the image, in the camera's own pixels)`,
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
  MODEL_RELOAD_REFUSED: (path: string, why: string) =>
    `reload: the model "${path}" was refused and the previous model and settings stay in force: ${why} (fix the model, check it with "uniad-edge check", then reload again)`,
  MODEL_NON_FINITE: (path: string, what: string) => `model: "${path}" gives output that is not a finite number on a test frame (${what}); every part would get an "error" verdict (re-export it; look for NaN weights, a division by zero or a log of zero)`,
  INFERENCE_WORKER_EXITED: (state: string, frames: string) => `inference: the worker ${state} before a batch of ${frames} frames was scored`,
  INFERENCE_WORKER_ENDED: (state: string) => `inference: the worker ${state}; open a new engine`,
  INFERENCE_RESTARTING: (lastFailure: string) => `inference: no inference worker while it restarts (after: ${lastFailure}); frames get fail-safe verdicts until it is back`,
  MODEL_INPUT_SIZE: (model: string, takes: string, delivered: string) => `inference: the model ${model} takes ${takes}, the cameras deliver ${delivered} (restart the service to change the input size)`,
  REGION_TILES: (camera: string, region: string, why: string) => `camera ${camera}, region ${region}: ${why} (cameras[].regions[].tiles)`,
  MODEL_SCORE_POOL: (model: string, regions: string) =>
    `model ${model}: its sidecar does not say its score rule (scorePool: the side of the pooling window whose maximum over the anomaly map is the score), which ${regions} need to score a stitched or masked map as the model does (re-export the model with models.uniad export, or add "scorePool" to its sidecar: 16 for UniAD)`,
  FRAME_SIZE: (frame: string, got: string, want: string) => `inference: frame ${frame} is ${got}, the model takes ${want} RGB (scale or crop the camera to the model's input size)`,
  MQTT_NO_URL: () => 'mqtt: no broker URL (set mqtt.url, or start the embedded broker and pass its URL)',
  TOPIC_LEVEL: (level: string, value: string) => `mqtt: topic level ${level} "${value}" must be non-empty and contain none of / + # NUL (rename it in the config)`,
  MQTT_TLS_FILE: (field: string, path: string, why: string) => `mqtt.${field}: cannot read "${path}": ${why} (point mqtt.${field} at a readable PEM file)`,
  MQTT_CONNECT: (url: string, why: string) => `mqtt: cannot connect to ${url}: ${why} (check mqtt.url, the broker, and mqtt.username/password)`,
  BROKER_LISTEN: (listener: string, host: string, port: string, why: string, setting: string) =>
    `embedded broker: cannot listen (${listener}) on ${host}:${port}: ${why} (free the port, or move it with ${setting}; 0 picks a free one)`,
  DASHBOARD_TLS_FILE: (field: string, path: string, why: string) =>
    `dashboard.tls.${field}: cannot read "${path}": ${why} (point it at a readable PEM file; the service inspects on without its HTTP port until then)`,
  OUTBOX_STORE: (path: string, why: string) =>
    `mqtt offline queue: cannot read "${path}": ${why}; the messages queued in it are not sent, and this run queues in memory only, leaving the file as it is (make it readable by the service, or move it away to start with an empty queue; then restart)`,
  ARCHIVE_DIR: (path: string, why: string) =>
    `evidence archive: cannot read "${path}": ${why}; no evidence is archived this run (it must be a folder the service can read and write, or set archive.enabled: false; then restart)`,
  EVAL_DATA: (path: string, why: string) => `evaluate: "${path}" ${why} (pass a folder built by python -m models.benchmark.build or models.benchmark.unseen_defects)`,
  UNKNOWN_PRODUCT: (camera: string, product: string, model: string, known: string) =>
    `camera ${camera}: the model ${model} does not know the product "${product}" (it knows ${known}); fix the product's name, calibrate the model for it (uniad-edge calibrate, model.thresholdsFile), or run it on purpose with allowUnknownProduct: true and the camera's threshold for it`,
  THRESHOLDS_FILE: (path: string, why: string) => `thresholds file "${path}": ${why} (write it with uniad-edge calibrate, or fix thresholdsFile in the config)`,
  CALIBRATE: (why: string) => `calibrate: ${why}`,
  DATASET_LAYOUT: (path: string, why: string) => `train: dataset "${path}": ${why}`,
  DATASET_EMPTY: (path: string) => `train: dataset "${path}" has no images: put each product's normal images in <dataset>/<product>/train/good/ (uniad-edge train --help shows the layout)`,
  DATASET_TOO_FEW: (counts: string, needed: string) => `train: too few images: ${counts}; a product needs at least ${needed} (docs/errors.md says why; 100 or more good images a product train a better model)`,
  DATASET_IMAGE: (count: string, list: string) => `train: ${count} images cannot be read: ${list} (replace or delete them: every image must be a PNG, JPEG, BMP or TIFF that opens)`,
  COLLECT_ARCHIVE: (path: string, why: string) =>
    `collect: the evidence archive "${path}" ${why} (the service keeps 1 good frame in archive.goodSampleEvery per camera: set it, e.g. 50, let the line run, and give --config of that service or --state-dir of its state folder)`,
  COLLECT_TOO_FEW: (counts: string, needed: string) =>
    `collect: too few good images: ${counts}; a product needs at least ${needed} to train (see the rejections above: fix the light, focus or station, loosen a gate's limit with its option, or run collect again to add more)`,
  TRAIN_PYTHON: (python: string, why: string) => `train: Python "${python}": ${why} (install Debian's python3-torch python3-onnx python3-pil, or pass --python with an interpreter that has torch, onnx and pillow)`,
  TRAIN_FAILED: (step: string, status: string, output: string, log: string) => `train: the ${step} step failed (${status}):\n${output}\n(the whole log: ${log})`,
  TRAIN_RESUME: (why: string) => `train: ${why}`,
  INSTANCE_RUNNING: (pid: string, lock: string) =>
    `another uniad-edge (PID ${pid}) is running with this state folder (lock "${lock}"); stop it first (e.g. systemctl stop uniad-edge), or give this one its own stateDir`,
  EVIDENCE_DROPPED: (dir: string, since: string, reason: string, why: string) =>
    `evidence archive: rejects are not archived since ${since} (${reason}: ${why}); their frames and heatmaps are lost, the verdicts still go out (free space on the disk of "${dir}", or fix what the error says; archiving resumes by itself)`,
  STATE_DIR: (path: string, why: string) =>
    `state folder "${path}" cannot be written: ${why}; this run holds no instance lock, so a second uniad-edge on this folder is not refused (make the folder writable by the service, or set stateDir to one that is; then restart)`,
  QUEUE_DISK: (path: string, why: string) =>
    `mqtt offline queue: cannot write "${path}" (${why}); verdicts queue in memory only, lost if the service stops, until it can (free space on that disk; the queue goes back to disk by itself)`,
  GENICAM_FEATURE: (camera: string, feature: string, value: string, why: string) =>
    `camera ${camera}: the GenICam camera refuses ${feature} = ${value}: ${why} (fix cameras[].genicam for this camera: the feature's name, its range and choices are in the camera's manual or its GenICam XML; the camera is retried with backoff)`,
  CAMERA_DOWN: (camera: string, since: string, reason: string, failSafe: string) =>
    `camera ${camera}: no frames since ${since} (${reason}); its parts pass uninspected and get no verdict, its state topic says down (an actuator gives them "${failSafe}"); it is restarted by itself (check the camera, its cable, its RTSP server)`,
  SOURCE_FRAMES_LOST: (camera: string, got: string, expected: string) =>
    `camera ${camera}: the decoder delivered ${got} of the ${expected} frames its file holds; ${Number(expected) - Number(got)} parts were never inspected (the file is damaged: re-record or re-encode it)`,
  MQTT_URL: (field: string, why: string) => `config: ${field}: ${why}`,
  CLIENT_ID_TAKEOVER: (clientId: string, node: string) =>
    `mqtt: another instance connects with client id "${clientId}" as node "${node}" and the broker keeps handing the connection over; verdicts wait in the queue meanwhile (stop the other instance, or give each its own node and mqtt.clientId)`,
  PLC_UNREACHABLE: (link: string, why: string) =>
    `plc: ${link} cannot be reached: ${why} (check the PLC, the network and the host/port/endpoint in the actuator config; the actuator keeps retrying, holds the ejector while it cannot see parts, and counts the outage on /metrics)`,
  MODBUS_EXCEPTION: (link: string, what: string, why: string) => `plc: ${link} refused ${what}: ${why} (check the register or coil address and unitId against the PLC's Modbus map)`,
  OPCUA_NODE: (node: string, why: string) => `plc: OPC UA node "${node}": ${why} (check the node id, its data type and its write access in the PLC's address space)`,
  GPIO: (chip: string, line: string, why: string) =>
    `gpio: ${chip} line ${line}: ${why} (install Debian's gpiod package; list the chips and lines with gpiodetect and gpioinfo; the actuator must be in the group that owns /dev/gpiochipN)`,
  METRICS_LISTEN: (host: string, port: string, why: string) => `actuator: cannot serve /metrics on ${host}:${port}: ${why} (free the port, or set metrics.port in the actuator config; 0 picks a free one)`,
  TRIGGER_REFUSED: (topic: string, why: string) => `parts: the trigger on ${topic} is refused: ${why}`,
  PART_SIGNAL_LOST: (camera: string, link: string, why: string) =>
    `camera ${camera}: its part signal (${link}) is lost: ${why}; parts passing meanwhile get no decision from the service, the actuator rejects them (check the PLC, the network and cameras[].parts.signal)`,
  REGISTRY_READ: (path: string, why: string) => `model registry: cannot read "${path}": ${why} (restore it from a backup, or move it aside: the models under its folder stay and can be added again with uniad-edge models add)`,
  REGISTRY_VERSION: (version: string, why: string) => `model registry: version "${version}" ${why}`,
  MODEL_CARD_MISMATCH: (model: string, card: string, want: string, got: string) =>
    `model: "${model}" is not the file its model card "${card}" describes: the card says sha256 ${want}, the file has ${got} (copy the .onnx, .json and .md of one training run together, or train again)`,
  PROMOTION_RUNNING: (version: string, by: string, pid: string, since: string, lock: string) =>
    `model registry: a promotion of ${version} by ${by} (PID ${pid}, since ${since}) is running; one promotion at a time (wait for it to end; a lock left by a process that is gone, "${lock}", is taken over by itself)`,
  PROMOTION_REFUSED: (version: string, why: string) => `model registry: ${version} was not promoted: ${why}; the model that was live stays`,
  MODEL_ROLLED_BACK: (version: string, back: string, cause: string) =>
    `model registry: ${version} was rolled back to ${back} by itself within its probation: ${cause} (the line runs ${back}; look at the log and the evidence of its verdicts, fix the model, and promote it again)`,
  ROLLBACK_NONE: (active: string) => `model registry: nothing to roll back to: ${active} has no earlier version in the registry's history (promote a version by name with uniad-edge models promote VERSION)`,
  ROLLOUT_MESSAGE: (why: string) => `fleet rollout: the message on <prefix>/fleet/rollout is not a rollout: ${why} (publish it with uniad-edge rollout start; docs/rollout.md gives its fields)`,
  ROLLOUT_DOWNLOAD: (url: string, why: string) => `fleet rollout: cannot download "${url}": ${why} (the store must be reachable from every node over HTTP; the node keeps its model)`,
  ROLLOUT_NOT_ACCEPTED: (url: string, topic: string, why: string) =>
    `fleet rollout: the broker at ${url} did not take the rollout on ${topic}: ${why} (only an account of role fleet-admin may start one: docs/rollout.md)`,
  ROLLOUT_HASH: (url: string, want: string, got: string) =>
    `fleet rollout: "${url}" is not the file the rollout names: it says sha256 ${want}, the download has ${got}; refused, nothing added (publish the file again, or the rollout again with its real hash)`,
  NATS_SUBJECT: (why: string) => `jetstream: an MQTT topic with no NATS subject: ${why} (rename mqtt.prefix, the line or the camera)`,
  JETSTREAM_PUBLISH: (subject: string, why: string) => `jetstream: a verdict on ${subject} was not stored: ${why}; it stays in the offline queue and is sent again (check that a stream captures the verdict subjects: uniad-edge consume --create-stream)`,
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
