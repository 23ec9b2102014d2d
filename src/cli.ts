import { parseArgs } from 'node:util';
import { calibrateCommand } from './calibrate/command.js';
import { evidenceCommand } from './evidence-command.js';
import { shadowReportCommand } from './shadow-report-command.js';
import { loadConfig, type Config } from './config.js';
import { demoConfig, demoFiles } from './demo.js';
import { evaluateModel } from './evaluation/command.js';
import { commandFailure } from './command-failure.js';
import { uniadError } from './errors.js';
import { exitIfStuck, exitOnUnhandled } from './last-resort.js';
import { createLogger } from './log.js';
import { packageVersion } from './package-root.js';
import { startService } from './service.js';
import { statePaths } from './state-dir.js';
import { takeStateLock, type StateLock } from './state-lock.js';
import { logLevels, type Logger, type LogLevel } from './types.js';
import { systemdNotifier } from './systemd/notify.js';
import { formatVerdict } from './verdict-line.js';
import { doctor } from './doctor/doctor.js';
import { formatFindings } from './doctor/findings.js';

const usage = `uniad-edge — UniAD anomaly inspection for every camera of a line, verdicts over MQTT

Usage:
  uniad-edge run --config FILE     run the service with a YAML config (see config.example.yaml)
  uniad-edge check --config FILE   validate the config and the model against the contract, then exit
  uniad-edge doctor [--config FILE] [--root DIR]
                                   what this box has and lacks (JetPack, CUDA, TensorRT, onnxruntime providers,
                                   NVMM decoders; with --config also cameras, broker, state folder, engine cache)
  uniad-edge demo [--seconds N] [--port N] [--ws-port N] [--dashboard-port N]
                                   shipped demo model + three demo line stations + embedded broker; prints verdicts
  uniad-edge evaluate [--model FILE] [--benchmark DIR] [--unseen DIR] [--line FILE] [--out FILE]
                     [--write-sidecar [--ci]] [--threads N]
                                   image and pixel AUROC of the model on built test folders, and the demo line's
                                   part recall, through the runtime
  uniad-edge evidence ID [--config FILE | --state-dir DIR]
                                   the archived frame, heatmap and verdict of a reject (state folder's archive/)
  uniad-edge shadow-report [--config FILE | --state-dir DIR]
                                   the shadow model against the live one: agreement, score correlation, rejects
                                   it would add or drop (also retained on <prefix>/shadow/<node>)
  uniad-edge calibrate --model M --images DIR [--defects DIR] --target-false-reject R --out FILE
                                   thresholds per product (and camera) for a false-reject rate R on normal
                                   images, with a markdown report and score plots next to FILE
  uniad-edge --help | --version

Options:
  -c, --config FILE   configuration file (YAML)
  --seconds N         demo: stop after N seconds (default: run until Ctrl-C)
  --port N            demo: embedded broker's MQTT port (default 1883)
  --ws-port N         demo: embedded broker's WebSocket port (default 8883)
  --dashboard-port N  demo: dashboard's HTTP port (default 8080)
  --root DIR          doctor: inspect the system under DIR instead of / (a copied or fixture tree)
  --model FILE        evaluate: ONNX model with its sidecar (default: the shipped demo model)
  --benchmark DIR     evaluate: a folder built by python -m models.benchmark.build
  --unseen DIR        evaluate: a folder built by python -m models.benchmark.unseen_defects
  --line FILE         evaluate: a line's ground truth (models/demo/line.json): part recall, good parts rejected
  --out FILE          evaluate: write the sidecar's "evaluation" block (AUROC in percent) as JSON
  --write-sidecar     evaluate: also store the result in the model's sidecar under "evaluation"
  --ci                evaluate: ... under "evaluation.ci" (the small builds CI checks the model against)
  --threads N         evaluate, calibrate: onnxruntime threads (default: onnxruntime's choice)
  calibrate: --model FILE.onnx, --images DIR (<product>/*.png, <product>/<camera>/*.png),
             --defects DIR (<product>/**/*.png), --target-false-reject R (e.g. 0.001), --out thresholds.json,
             --providers LIST (default tensorrt,cuda,cpu)
  --quiet             do not print verdicts to stdout
  --verdicts          run: print one line a verdict to stdout even when it is not a terminal (the journal gets
                      none by default: verdicts are on MQTT, a stats line is in the log)
  --log-level LEVEL   ${logLevels.join(', ')} (overrides the config)

Signals: SIGTERM or SIGINT stop the cameras, drain the batches in flight, publish "offline" and exit 0.
         SIGHUP re-reads the config (run): products, thresholds, the thresholds file and a changed model apply
         from the next frames without stopping a camera; an invalid config keeps the old values.
`;

function portOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw uniadError('USAGE', `${name} must be a port number 0–65535, got "${value}"`);
  return port;
}

/** The logger at `--log-level` when given (checked), else at `fallback`. */
function loggerAt(option: string | undefined, fallback: LogLevel): Logger {
  const level = option ?? fallback;
  if (!isLogLevel(level)) throw uniadError('USAGE', `--log-level must be one of ${logLevels.join(', ')}, got "${level}"`);
  return createLogger(level);
}

const isLogLevel = (value: string): value is LogLevel => (logLevels as readonly string[]).includes(value);

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        seconds: { type: 'string' },
        port: { type: 'string' },
        'ws-port': { type: 'string' },
        'dashboard-port': { type: 'string' },
        root: { type: 'string' },
        model: { type: 'string' },
        benchmark: { type: 'string' },
        unseen: { type: 'string' },
        images: { type: 'string' },
        defects: { type: 'string' },
        'target-false-reject': { type: 'string' },
        providers: { type: 'string' },
        line: { type: 'string' },
        'state-dir': { type: 'string' },
        out: { type: 'string' },
        threads: { type: 'string' },
        'write-sidecar': { type: 'boolean', default: false },
        ci: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        verdicts: { type: 'boolean', default: false },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`${uniadError('USAGE', (err as Error).message).message}\n`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = positionals[0];
  if (command === 'evaluate') return evaluateCommand(values);
  if (command === 'doctor') return runDoctor(values.config, values.root);
  if (command === 'calibrate') return calibrateCommand(values);
  if (command === 'evidence') return evidenceCommand(positionals[1], values);
  if (command === 'shadow-report') return shadowReportCommand(values);
  let lock: StateLock | undefined;
  try {
    let cfg: Config;
    let seconds: number | undefined;
    switch (command) {
      case 'run':
      case 'check':
        if (values.config === undefined) throw uniadError('USAGE', `"${command}" needs --config FILE`);
        cfg = loadConfig(values.config);
        break;
      case 'demo':
        cfg = demoConfig({
          port: portOption('--port', values.port),
          wsPort: portOption('--ws-port', values['ws-port']),
          dashboardPort: portOption('--dashboard-port', values['dashboard-port']),
        });
        if (values.seconds !== undefined) {
          seconds = Number(values.seconds);
          if (!(seconds > 0)) throw uniadError('USAGE', `--seconds must be a positive number, got "${values.seconds}"`);
        }
        break;
      case undefined:
        process.stdout.write(usage);
        return 2;
      default:
        throw uniadError('USAGE', `unknown command "${command}" (use run, check, doctor, demo, evaluate, calibrate, evidence or shadow-report)`);
    }
    const logger = loggerAt(values['log-level'], cfg.log.level);
    exitOnUnhandled(logger);

    // A closed stdout (`| head`) ends the printing, not the inspection.
    // `run` prints verdicts to a person at a terminal, not to the journal; `demo` is for a person anyway.
    let printing = !values.quiet && (command === 'demo' || values.verdicts || process.stdout.isTTY === true);
    process.stdout.on('error', () => (printing = false));
    const print = (line: string) => printing && process.stdout.write(line + '\n');
    // one instance per state folder; check starts nothing that needs it
    lock = command === 'check' ? undefined : takeStateLock(statePaths(cfg.stateDir).lock);
    // Signals that come while the model loads are kept and acted on once the service can stop or reload:
    // without a handler, SIGTERM there would kill the process with no `offline` status and no exit code.
    let stop = (why: string) => void (stopAsked ??= why);
    let stopAsked: string | undefined;
    let reload = () => logger.warn('SIGHUP during start-up: the config is read once, at start');
    if (command !== 'check') {
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      process.on('SIGHUP', () => reload());
    }
    const service = await startService(cfg, {
      logger,
      checkOnly: command === 'check',
      onDecision: (d) => print(formatVerdict(d.verdict)),
      notifier: command === 'run' ? systemdNotifier(logger) : undefined,
    });
    if (command === 'check') {
      process.stdout.write(`config and model OK: ${cfg.cameras.length} camera(s), model ${service.modelId} on ${service.provider}\n`);
      await service.stop('check');
      return 0;
    }
    if (service.brokerUrl) logger.info('mqtt broker', { url: service.brokerUrl, wsUrl: service.brokerWsUrl });
    if (service.dashboardUrl) process.stderr.write(`uniad-edge: dashboard at ${service.dashboardUrl}\n`);

    // The drain waits up to deadlineMs + 5 s, the MQTT close up to 2 x 5 s; past that something is stuck.
    stop = (why: string) => {
      exitIfStuck(logger, cfg.model.deadlineMs + 30_000);
      void service.stop(why);
    };
    const configPath = values.config;
    reload = () => {
      let next = cfg;
      try {
        if (command === 'run' && configPath !== undefined) next = loadConfig(configPath);
      } catch (err) {
        logger.error('reload refused, old settings kept: the config is invalid', { error: (err as Error).message });
        return;
      }
      logger.info('reloading on SIGHUP', { config: configPath ?? '(demo)' });
      void service.reload(next);
    };
    if (stopAsked !== undefined) stop(stopAsked);
    const timer = seconds === undefined ? undefined : setTimeout(() => stop(`--seconds ${seconds}`), seconds * 1000);
    await service.stopped;
    if (timer) clearTimeout(timer);
    return 0;
  } catch (err) {
    return commandFailure(err);
  } finally {
    lock?.release();
  }
}

interface EvaluateValues {
  model?: string;
  benchmark?: string;
  unseen?: string;
  line?: string;
  out?: string;
  threads?: string;
  'write-sidecar'?: boolean;
  ci?: boolean;
  'log-level'?: string;
}

async function evaluateCommand(values: EvaluateValues): Promise<number> {
  try {
    const sets: { benchmark?: string; unseenDefects?: string } = {};
    if (values.benchmark !== undefined) sets.benchmark = values.benchmark;
    if (values.unseen !== undefined) sets.unseenDefects = values.unseen;
    if (Object.keys(sets).length === 0 && values.line === undefined) throw uniadError('USAGE', '"evaluate" needs --benchmark DIR, --unseen DIR or --line FILE');
    const threads = values.threads === undefined ? undefined : Number(values.threads);
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 0)) throw uniadError('USAGE', `--threads must be a whole number >= 0, got "${values.threads}"`);
    await evaluateModel({
      model: values.model ?? demoFiles.model,
      sets,
      ...(values.line !== undefined ? { line: values.line } : {}),
      ...(values.out !== undefined ? { out: values.out } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(values['write-sidecar'] ? { writeSidecar: values.ci ? ('ci' as const) : ('evaluation' as const) } : {}),
      logger: loggerAt(values['log-level'], 'warn'),
      print: (line) => process.stdout.write(`${line}\n`),
    });
    return 0;
  } catch (err) {
    return commandFailure(err);
  }
}

/** `doctor`: prints one line per finding; exit status 1 when something the service needs is missing. */
async function runDoctor(configPath: string | undefined, root: string | undefined): Promise<number> {
  try {
    const findings = await doctor({ ...(root ? { root } : {}), ...(configPath ? { config: loadConfig(configPath) } : {}) });
    process.stdout.write(`${formatFindings(findings)}\n`);
    return findings.some((f) => f.status === 'missing') ? 1 : 0;
  } catch (err) {
    return commandFailure(err);
  }
}
