/**
 * The command lines of libgpiod's `gpioset` (Debian's `gpiod` package) that hold one GPIO line at a value until the
 * process is signalled, for both generations of its syntax. Pure.
 *
 *   libgpiod 1.x (Debian 12):  gpioset --mode=signal [--active-low] <chip> <line>=<value>
 *   libgpiod 2.x (Debian 13):  gpioset --chip <chip> [--active-low] --banner <line>=<value>
 *
 * The kernel keeps a line driven only while a process holds it ("the line output state is maintained until the
 * process exits, but after that is not guaranteed", gpioset(1)): the output therefore always keeps one gpioset
 * running, holding 1 or 0 (gpio.ts).
 */

export type GpiodMajor = 1 | 2;

export interface GpioLine {
  /** `gpiochip0`, `0` or `/dev/gpiochip0`. */
  readonly chip: string;
  /** The line's offset on the chip. */
  readonly line: number;
  /** The valve or relay switches on a low level. */
  readonly activeLow: boolean;
}

/** The libgpiod generation from `gpioset --version` (`gpioset (libgpiod) v1.6.3`, `gpioset v2.1 (libgpiod v2.1)`). */
export function gpiodMajor(versionText: string): GpiodMajor | undefined {
  const major = /\bv(\d+)\./.exec(versionText)?.[1];
  return major === '1' ? 1 : major === '2' ? 2 : undefined;
}

/** The device file of `chip`. */
export function chipPath(chip: string): string {
  if (chip.startsWith('/')) return chip;
  return /^\d+$/.test(chip) ? `/dev/gpiochip${chip}` : `/dev/${chip}`;
}

/** gpioset's arguments to hold `g` at `value` until SIGTERM. */
export function holdArgs(major: GpiodMajor, g: GpioLine, value: 0 | 1): string[] {
  const low = g.activeLow ? ['--active-low'] : [];
  return major === 1 ? ['--mode=signal', ...low, g.chip, `${g.line}=${value}`] : ['--chip', g.chip, ...low, '--banner', `${g.line}=${value}`];
}
