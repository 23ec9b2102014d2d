/**
 * The parent's handle on one capture child: spawns it, decodes its frames, relays its status, and kills it
 * politely (SIGTERM, then SIGKILL after a grace period). One process, one life; restarts are capture.ts's business.
 * Two children speak the same protocol: capture-child.ts (Node, a GStreamer launch description) and
 * genicam_child.py (Python, a GenICam camera through Aravis).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { entryPoint } from '../entry.js';
import { FrameDecoder, type DecodedFrame } from './framing.js';
import { genicamChild, genicamEnv, genicamPython } from './genicam.js';
import { frameFd, launchEnv, type ChildMessage, type ParentMessage } from './protocol.js';

export interface CaptureProcessHandlers {
  onFrame(frame: DecodedFrame): void;
  onMessage(message: ChildMessage): void;
  /** A line the child wrote on stderr (GStreamer warnings, a crash's stack trace). */
  onStderr(line: string): void;
  /** Once, after the process exited and every frame it wrote was delivered. Spawn failures end here too. */
  onClose(code: number | null, signal: NodeJS.Signals | null): void;
}

export interface CaptureProcess {
  readonly pid: number | undefined;
  /** SIGTERM now, SIGKILL after `killGraceMs` if it is still there. Idempotent. */
  stop(): void;
  /** Stops reading frames: once the pipe is full the child's writes block (back-pressure, flow-gate.ts). */
  pause(): void;
  resume(): void;
  /** Fires software trigger `seq` (GenICam children); its outcome comes back as a frame or a message. */
  trigger(seq: number): void;
}

/** What to start: a launch description for capture-child.ts, or a GenICam spec (genicam.ts) for genicam_child.py. */
export type CaptureCommand = { readonly kind: 'gstreamer'; readonly launch: string } | { readonly kind: 'genicam'; readonly spec: string };

const child = entryPoint(import.meta.url, './capture-child.js');

function program(command: CaptureCommand): { file: string; args: string[]; env: Record<string, string> } {
  return command.kind === 'gstreamer'
    ? { file: process.execPath, args: [...child.execArgv, child.file], env: { [launchEnv]: command.launch } }
    : { file: genicamPython, args: [genicamChild], env: { [genicamEnv]: command.spec } };
}

export function spawnCaptureProcess(command: CaptureCommand, handlers: CaptureProcessHandlers, killGraceMs: number): CaptureProcess {
  const { file, args, env } = program(command);
  const proc: ChildProcess = spawn(file, args, {
    env: { ...process.env, ...env },
    // stdin, stdout unused; stderr for diagnostics; fd 3 the frame pipe; fd 4 the IPC channel for status.
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'ipc'],
  });
  let closed = false;
  let killTimer: NodeJS.Timeout | undefined;
  const close = (code: number | null, signal: NodeJS.Signals | null) => {
    if (closed) return;
    closed = true;
    clearTimeout(killTimer);
    handlers.onClose(code, signal);
  };

  const decoder = new FrameDecoder();
  const frames = proc.stdio[frameFd] as Readable;
  frames.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) handlers.onFrame(frame);
  });
  proc.on('message', (message) => handlers.onMessage(message as ChildMessage));
  let partialLine = '';
  proc.stderr!.setEncoding('utf8').on('data', (text: string) => {
    const lines = (partialLine + text).split('\n');
    partialLine = lines.pop()!;
    for (const line of lines) if (line.trim() !== '') handlers.onStderr(line);
  });
  proc.on('exit', () => clearTimeout(killTimer));
  // 'close' comes after the stdio pipes are drained, so no frame is still on its way.
  proc.on('close', (code, signal) => close(code, signal));
  proc.on('error', (err) => {
    handlers.onStderr(`capture process: ${err.message}`);
    // Spawn failed: there may be no 'close' to wait for.
    if (proc.pid === undefined) close(null, null);
  });

  return {
    pid: proc.pid,
    stop() {
      if (proc.exitCode !== null || proc.signalCode !== null || killTimer !== undefined) return;
      // A paused pipe would never end, so 'close' would never come and its handle would keep this process alive.
      frames.resume();
      proc.kill('SIGTERM');
      killTimer = setTimeout(() => proc.kill('SIGKILL'), killGraceMs);
    },
    pause: () => void frames.pause(),
    resume: () => void frames.resume(),
    trigger(seq) {
      // A channel already closed means the process is going: its exit reports the trigger.
      if (proc.connected) proc.send({ type: 'trigger', seq } satisfies ParentMessage);
    },
  };
}
