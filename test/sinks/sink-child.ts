/**
 * A service stand-in in its own process, so a test can kill it with SIGKILL and see the broker publish the last
 * will. argv: <broker url> <prefix> <node>. Prints "ready" once connected and online.
 */
import { silentLogger } from '../../src/log.js';
import { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { mqttConfig, nodeInfo } from './fixtures.js';

const [url, prefix, node] = process.argv.slice(2) as [string, string, string];
const sink = new MqttSink({ url, mqtt: mqttConfig(prefix), info: nodeInfo(node), logger: silentLogger });
await sink.link.ready();
process.stdout.write('ready\n');
setInterval(() => undefined, 1000); // stay alive until killed
