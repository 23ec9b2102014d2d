/**
 * Debian's mosquitto, started by the test: a generated config on a free loopback port, with the message limit
 * raised (mosquitto drops past 1000 queued messages a client by default) and persistence on, so a subscriber with
 * a persistent session (`clean: false`) keeps its subscription and queued messages across stop()/start().
 * stop() is a SIGTERM (mosquitto saves its database), start() brings it back on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accepts, freePort } from './free-port.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';


export class Mosquitto {
  private child: ChildProcess | undefined;
  private stderr = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** `access`: the config lines on who gets in (default anyone); e.g. a password_file and an acl_file. */
  static async start(access: readonly string[] = ['allow_anonymous true']): Promise<Mosquitto> {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-mosquitto-'));
    const m = new Mosquitto(await freePort(), dir);
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      [
        `listener ${m.port} 127.0.0.1`,
        ...access,
        'max_queued_messages 100000',
        'persistence true',
        `persistence_location ${dir}/`,
        // as root mosquitto would switch to the `mosquitto` user, which cannot write our temp folder
        'user root',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        '',
      ].join('\n'),
    );
    await m.start();
    return m;
  }

  async start(timeoutMs = 5000): Promise<void> {
    if (this.child) return;
    const child = spawn(MOSQUITTO, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child = child;
    const deadline = Date.now() + timeoutMs;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`mosquitto did not accept on 127.0.0.1:${this.port} (exit ${child.exitCode}): ${this.stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM and wait for the exit (mosquitto writes its persistence file on the way out). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
