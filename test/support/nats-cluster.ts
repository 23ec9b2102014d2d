/**
 * A NATS cluster of Debian's `nats-server`, started by a test or a benchmark: `size` nodes on loopback (free ports),
 * each with cluster routes to the others, JetStream (its own store folder) and an MQTT listener. Nodes are killed
 * (SIGKILL, as a power cut), stopped (SIGTERM) and restarted on the same ports and store; close() ends all of them and
 * removes the folder.
 *
 * MQTT on nats-server needs JetStream and a server name on every node; its MQTT streams ($MQTT_sess, $MQTT_msgs,
 * $MQTT_rmsgs) are replicated on min(3, nodes) of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accepts, freePort } from './free-port.js';

export const NATS_SERVER = '/usr/sbin/nats-server';

export interface NatsNode {
  readonly name: string;
  readonly clientPort: number;
  readonly clusterPort: number;
  readonly mqttPort: number;
  readonly monitorPort: number;
  /** `mqtt://127.0.0.1:<mqttPort>` */
  readonly mqttUrl: string;
  /** `nats://127.0.0.1:<clientPort>` */
  readonly natsUrl: string;
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class NatsCluster {
  private readonly children = new Map<string, ChildProcess>();
  private readonly logs = new Map<string, string>();

  private constructor(
    readonly nodes: readonly NatsNode[],
    private readonly dir: string,
  ) {}

  /** MQTT URLs of every node, in order. */
  get mqttUrls(): string[] {
    return this.nodes.map((n) => n.mqttUrl);
  }

  /** NATS URLs of every node, in order (what a NATS client is given to fail over between). */
  get natsUrls(): string[] {
    return this.nodes.map((n) => n.natsUrl);
  }

  /**
   * Starts `size` nodes and waits until JetStream has a meta leader (the MQTT listeners need it). A port that was free
   * when picked can be taken before the node binds it (another socket's ephemeral port): then it starts again on
   * newly picked ports, up to three times.
   */
  static async start(size = 3, timeoutMs = 30_000): Promise<NatsCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await NatsCluster.startOnce(size, timeoutMs);
      } catch (err) {
        if (attempt === 3 || !/address already in use/.test((err as Error).message)) throw err;
      }
    }
  }

  private static async startOnce(size: number, timeoutMs: number): Promise<NatsCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-nats-'));
    const nodes: NatsNode[] = [];
    const taken = new Set<number>();
    const distinctPort = async (): Promise<number> => {
      for (;;) {
        const port = await freePort();
        if (!taken.has(port)) return taken.add(port), port;
      }
    };
    for (let i = 1; i <= size; i++) {
      const [clientPort, clusterPort, mqttPort, monitorPort] = [await distinctPort(), await distinctPort(), await distinctPort(), await distinctPort()];
      nodes.push({ name: `n${i}`, clientPort, clusterPort, mqttPort, monitorPort, mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, natsUrl: `nats://127.0.0.1:${clientPort}` });
    }
    for (const node of nodes) {
      mkdirSync(join(dir, node.name));
      const routes = nodes.filter((n) => n !== node).map((n) => `nats-route://127.0.0.1:${n.clusterPort}`);
      writeFileSync(
        join(dir, `${node.name}.conf`),
        [
          `server_name: ${node.name}`,
          `listen: 127.0.0.1:${node.clientPort}`,
          `http: 127.0.0.1:${node.monitorPort}`,
          `jetstream { store_dir: "${join(dir, node.name)}", max_memory_store: 64MB, max_file_store: 1GB }`,
          // one node alone runs JetStream without a cluster
          ...(size > 1 ? [`cluster { name: uniad, listen: 127.0.0.1:${node.clusterPort}, routes: [${routes.join(', ')}] }`] : []),
          `mqtt { listen: 127.0.0.1:${node.mqttPort}, stream_replicas: ${Math.min(3, size)} }`,
          '',
        ].join('\n'),
      );
    }
    const cluster = new NatsCluster(nodes, dir);
    try {
      await Promise.all(nodes.map((n) => cluster.start(n.name, timeoutMs)));
      await cluster.waitForMetaLeader(timeoutMs);
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  node(name: string): NatsNode {
    const node = this.nodes.find((n) => n.name === name);
    if (node === undefined) throw new Error(`no node ${name} in ${this.nodes.map((n) => n.name).join(', ')}`);
    return node;
  }

  running(name: string): boolean {
    const child = this.children.get(name);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Starts node `name` (again: same ports, same JetStream store) and waits until its MQTT listener accepts. */
  async start(name: string, timeoutMs = 30_000): Promise<void> {
    if (this.running(name)) return;
    const node = this.node(name);
    const child = spawn(NATS_SERVER, ['-c', join(this.dir, `${name}.conf`)], { stdio: ['ignore', 'ignore', 'pipe'] });
    // a test or benchmark that dies must not leave servers behind
    const orphan = () => child.kill('SIGKILL');
    process.once('exit', orphan);
    child.once('exit', () => process.off('exit', orphan));
    this.logs.set(name, '');
    child.stderr!.on('data', (d: Buffer) => this.logs.set(name, (this.logs.get(name)! + d.toString()).slice(-20_000)));
    this.children.set(name, child);
    const deadline = Date.now() + timeoutMs;
    while (!(await accepts(node.mqttPort))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nats-server ${name}: MQTT listener 127.0.0.1:${node.mqttPort} not up (exit ${child.exitCode}): ${this.log(name)}`);
      await sleep(50);
    }
  }

  /** SIGKILL: the node vanishes without a word, as on a power cut. Resolves once it has exited. */
  kill(name: string): Promise<void> {
    return this.signal(name, 'SIGKILL');
  }

  /** SIGTERM: a clean shutdown (lame duck, JetStream flushed). */
  stop(name: string): Promise<void> {
    return this.signal(name, 'SIGTERM');
  }

  /** The last `chars` of node `name`'s own log (stderr; the last 20 000 are kept). */
  log(name: string, chars = 3000): string {
    return (this.logs.get(name) ?? '').slice(-chars);
  }

  /** `/jsz` of a running node: JetStream's view from there (meta leader, streams). */
  async jsz(name: string): Promise<{ meta_cluster?: { leader?: string; cluster_size?: number } }> {
    const res = await fetch(`http://127.0.0.1:${this.node(name).monitorPort}/jsz`);
    return (await res.json()) as { meta_cluster?: { leader?: string } };
  }

  /** Until every running node names the same JetStream meta leader. */
  async waitForMetaLeader(timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let seen: (string | undefined)[] = [];
    while (Date.now() < deadline) {
      const running = this.nodes.filter((n) => this.running(n.name));
      seen = await Promise.all(running.map((n) => this.jsz(n.name).then((j) => j.meta_cluster?.leader, () => undefined)));
      if (this.nodes.length === 1 && running.length === 1 && (await this.jsz(running[0]!.name).then(() => true, () => false))) return running[0]!.name;
      if (seen.length > 0 && seen[0] !== undefined && seen.every((l) => l === seen[0])) return seen[0];
      await sleep(200);
    }
    throw new Error(`no JetStream meta leader agreed within ${timeoutMs} ms (nodes say ${JSON.stringify(seen)}): ${this.nodes.map((n) => `${n.name}: ${this.log(n.name)}`).join('\n')}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.signal(n.name, 'SIGKILL')));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(name: string, signal: NodeJS.Signals): Promise<void> {
    const child = this.children.get(name);
    this.children.delete(name);
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}
