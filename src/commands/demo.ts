/** `uniad-edge demo`: the shipped demo model on the demo line's stations, with the embedded broker and the dashboard. */
import { demoConfig } from '../demo.js';
import { uniadError } from '../errors.js';
import { command } from './command.js';
import { loggerAt, logLevelOption, portValue } from './options.js';
import { serve, signalsNote } from './run.js';

export const demo = command({
  name: 'demo',
  summary: 'shipped demo model + three demo line stations + embedded broker; prints verdicts',
  usage: '[--seconds N] [--port N] [--ws-port N] [--dashboard-port N] [--quiet] [--log-level LEVEL]',
  options: {
    seconds: { type: 'string', value: 'N', description: 'stop after N seconds (default: run until Ctrl-C)' },
    port: { type: 'string', value: 'N', description: "embedded broker's MQTT port (default 1883)" },
    'ws-port': { type: 'string', value: 'N', description: "embedded broker's WebSocket port (default 9001)" },
    'dashboard-port': { type: 'string', value: 'N', description: "dashboard's HTTP port (default 8080)" },
    quiet: { type: 'boolean', description: 'do not print verdicts to stdout' },
    'log-level': logLevelOption('info'),
  },
  notes: signalsNote,
  handler: async (values) => {
    const cfg = demoConfig({
      port: portValue('--port', values.port),
      wsPort: portValue('--ws-port', values['ws-port']),
      dashboardPort: portValue('--dashboard-port', values['dashboard-port']),
    });
    const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
    if (seconds !== undefined && !(seconds > 0)) throw uniadError('USAGE', `--seconds must be a positive number, got "${values.seconds}"`);
    return serve({
      cfg,
      logger: loggerAt(values['log-level'], cfg.log.level),
      print: !values.quiet,
      reread: () => cfg,
      source: '(demo)',
      seconds,
      portSettings: { broker: '--port', brokerWs: '--ws-port', dashboard: '--dashboard-port' },
    });
  },
});
