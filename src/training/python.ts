/**
 * Runs one step of models/uniad (prepare, train, calibrate, export) in the Python the user chose, from the package's
 * folder so that `python -m models.uniad…` finds the code. Each JSON object the step prints on stdout, one a line, is
 * an event; everything it writes on stderr goes to the run's log, and its last lines into the error when it fails.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { packageRoot } from '../package-root.js';
import { uniadError } from '../errors.js';

export type PythonEvent = Readonly<Record<string, unknown>>;

export interface PythonStep {
  /** What the step is called in errors: "prepare", "train", … */
  readonly step: string;
  readonly python: string;
  readonly args: readonly string[];
  /** The run's log file: stderr is appended to it. */
  readonly log: string;
  readonly onEvent?: (event: PythonEvent) => void;
}

/** The last `count` lines a terminal would show of `text`: each line's text after its last carriage return. */
export function lastLines(text: string, count: number): string[] {
  return text
    .split('\n')
    .map((line) => line.split('\r').filter((part) => part.trim() !== '').at(-1) ?? '')
    .filter((line) => line.trim() !== '')
    .slice(-count);
}

function parseEvent(line: string): PythonEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as PythonEvent) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the step; resolves to its events. TRAIN_PYTHON when the interpreter cannot start, TRAIN_FAILED when the step fails. */
export function runPython(step: PythonStep): Promise<PythonEvent[]> {
  return new Promise((resolve, reject) => {
    const events: PythonEvent[] = [];
    let stderr = '';
    let pending = '';
    const child = spawn(step.python, [...step.args], {
      cwd: packageRoot,
      env: { ...process.env, PYTHONPATH: [packageRoot, process.env.PYTHONPATH].filter(Boolean).join(':'), PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const take = (line: string) => {
      const event = parseEvent(line.trim());
      if (event === undefined) return;
      events.push(event);
      step.onEvent?.(event);
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(take);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-65536);
      appendFileSync(step.log, chunk);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(uniadError('TRAIN_PYTHON', step.python, err.code === 'ENOENT' ? 'no such program' : err.message));
    });
    child.on('close', (code, signal) => {
      take(pending);
      if (code === 0) {
        resolve(events);
        return;
      }
      const tail = lastLines(stderr, 12);
      const why = tail.some((l) => /No module named '(torch|onnx|numpy|PIL)'/.test(l)) ? 'cannot import what training needs' : undefined;
      if (why !== undefined) reject(uniadError('TRAIN_PYTHON', step.python, `${why}: ${tail.at(-1)}`));
      else reject(uniadError('TRAIN_FAILED', step.step, signal ? `killed by ${signal}` : `exit ${code}`, tail.join('\n') || '(no output)', step.log));
    });
  });
}
