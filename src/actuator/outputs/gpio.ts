/**
 * Output: a Linux GPIO line through libgpiod's `gpioset` (gpioset.ts), for a valve or relay wired to the edge box
 * itself. One gpioset process always holds the line: at 1 for the pulse and the hold, at 0 otherwise; each change
 * ends the holder and starts the next. A line is confirmed driven when gpioset 2.x prints its banner, or when
 * gpioset 1.x is still running `settleMs` after its start (it exits at once when it cannot take the line).
 *
 * Untested on hardware: the machine this was built on has no GPIO chip and no gpio-sim; the tests check the exact
 * command lines and the errors for a missing chip and a device that is no chip. While no process holds the line
 * (between holders, after the actuator exits) its level is the hardware's: wire a pull resistor that means "pass".
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { uniadError } from '../../errors.js';
import { chipPath, gpiodMajor, holdArgs, type GpiodMajor, type GpioLine } from './gpioset.js';
import type { RejectOutput } from './output.js';

export interface GpioSettings extends GpioLine {
  /** gpioset's path; default found on PATH. */
  readonly gpioset?: string;
  readonly settleMs?: number;
}

const chips = () => {
  try {
    return readdirSync('/dev').filter((f) => f.startsWith('gpiochip'));
  } catch {
    return [];
  }
};

export class GpioOutput implements RejectOutput {
  readonly name: string;
  private holder: ChildProcess | undefined;

  private constructor(
    private readonly settings: GpioSettings,
    private readonly major: GpiodMajor,
  ) {
    this.name = `gpio ${settings.chip} line ${settings.line}`;
  }

  /** Checks that gpioset is there (and which generation) and that the chip exists; GPIO error otherwise. */
  static async open(settings: GpioSettings): Promise<GpioOutput> {
    const line = String(settings.line);
    const path = chipPath(settings.chip);
    if (!existsSync(path)) {
      const found = chips();
      throw uniadError('GPIO', settings.chip, line, `there is no ${path} (this machine has ${found.length === 0 ? 'no GPIO chip' : found.join(', ')})`);
    }
    let version: string;
    try {
      version = (await promisify(execFile)(settings.gpioset ?? 'gpioset', ['--version'])).stdout;
    } catch (err) {
      throw uniadError('GPIO', settings.chip, line, `gpioset cannot be run: ${(err as Error).message}`);
    }
    const major = gpiodMajor(version);
    if (major === undefined) throw uniadError('GPIO', settings.chip, line, `gpioset says "${version.split('\n')[0]}", not libgpiod 1.x or 2.x`);
    return new GpioOutput(settings, major);
  }

  async drive(on: boolean): Promise<void> {
    // the line is free for the next holder only once the last one exited
    await this.release();
    const { settings } = this;
    const child = spawn(settings.gpioset ?? 'gpioset', holdArgs(this.major, settings, on ? 1 : 0), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.holder = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise<void>((resolve, reject) => {
      const settle = setTimeout(resolve, settings.settleMs ?? 20);
      if (this.major === 2) child.stdout!.once('data', () => resolve());
      const failed = (why: string) => {
        clearTimeout(settle);
        if (this.holder === child) this.holder = undefined;
        reject(uniadError('GPIO', settings.chip, String(settings.line), why));
      };
      child.once('error', (err) => failed(`gpioset cannot be run: ${err.message}`));
      child.once('exit', (code, signal) => signal === null && failed(`gpioset exited (${code}): ${stderr.trim() || 'no message'}`));
    });
  }

  private release(): Promise<void> {
    const holder = this.holder;
    this.holder = undefined;
    if (holder === undefined || holder.exitCode !== null || holder.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      holder.once('exit', () => resolve());
      holder.kill('SIGTERM');
    });
  }

  close(): Promise<void> {
    return this.release();
  }
}
