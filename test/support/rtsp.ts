/**
 * Starts test/support/rtsp-server.py (a real GStreamer RTSP server) for a test and stops it afterwards.
 * `pid` is exposed so fault tests can SIGSTOP or kill the server under a running capture.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface RtspServer {
  /** rtsp://127.0.0.1:PORT/cam */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Kills the server (SIGCONTs it first, in case a test froze it) and waits for it to be gone. */
  stop(): Promise<void>;
}

const script = fileURLToPath(new URL('./rtsp-server.py', import.meta.url));
/** Debian's python: the pyenv python3 on PATH cannot see the GObject bindings. */
const python = '/usr/bin/python3';

/**
 * Serves `file` (an H.264 MP4) on a free port; each client starts at its first frame. With `login`, only a client
 * that authenticates with it (HTTP Basic) gets the media.
 */
export function startRtspServer(file: string, port = 0, timeoutMs = 10_000, login?: { user: string; password: string }): Promise<RtspServer> {
  const args = [script, file, String(port), ...(login ? [login.user, login.password] : [])];
  const proc = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGCONT');
      proc.kill('SIGKILL');
    }
    await exited;
  };

  return new Promise<RtspServer>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`rtsp-server: ${why}${stderr ? `\n${stderr}` : ''}`)));
    };
    const timer = setTimeout(() => fail(`no READY within ${timeoutMs} ms`), timeoutMs);
    const exitedEarly = (code: number | null) => fail(`exited with code ${code} before READY`);
    proc.once('exit', exitedEarly);
    let stdout = '';
    proc.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const ready = /^READY (\d+)$/m.exec(stdout);
      if (ready === null) return;
      clearTimeout(timer);
      proc.off('exit', exitedEarly);
      const bound = Number(ready[1]);
      resolve({ url: `rtsp://127.0.0.1:${bound}/cam`, port: bound, pid: proc.pid!, stop });
    });
  });
}
