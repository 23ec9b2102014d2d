/**
 * A TLS-only Debian mosquitto for a test: a throwaway CA, a server certificate for 127.0.0.1 and a client
 * certificate, made with `openssl` into a temp folder; the listener requires a client certificate signed by that CA
 * AND a username/password from a password file.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { freePort } from '../support/free-port.js';

export interface TlsBroker {
  readonly url: string;
  /** PEM file paths: the CA, and the client certificate and key it signed. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly username: string;
  readonly password: string;
  close(): Promise<void>;
}

const openssl = (dir: string, ...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCertificates(dir: string): void {
  openssl(dir, 'req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=uniad test CA');
  openssl(dir, 'req', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'server.ext');
  openssl(dir, 'req', ...ecKey, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=uniad-edge');
  openssl(dir, 'x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '1');
}

/** True once a TLS handshake with a client certificate succeeds on the port. */
function handshakes(port: number, dir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(join(dir, 'ca.crt')), cert: readFileSync(join(dir, 'client.crt')), key: readFileSync(join(dir, 'client.key')) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export async function startTlsBroker(): Promise<TlsBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-tls-'));
  makeCertificates(dir);
  const username = 'uniad-edge';
  const password = 'tls-test-password';
  execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), username, password]);
  const port = await freePort();
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    [
      `listener ${port} 127.0.0.1`,
      `cafile ${join(dir, 'ca.crt')}`,
      `certfile ${join(dir, 'server.crt')}`,
      `keyfile ${join(dir, 'server.key')}`,
      'require_certificate true',
      'allow_anonymous false',
      `password_file ${join(dir, 'passwd')}`,
      'max_queued_messages 100000',
      'user root',
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 5000;
  while (!(await handshakes(port, dir))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto (TLS) did not come up on ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtts://127.0.0.1:${port}`,
    ca: join(dir, 'ca.crt'),
    cert: join(dir, 'client.crt'),
    key: join(dir, 'client.key'),
    username,
    password,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
