/**
 * The GPIO output, as far as this machine allows: it has libgpiod's gpioset (Debian's gpiod, from scripts/setup.sh)
 * but no GPIO chip and no gpio-sim in its kernel, so a line is never really driven here (docs/actuator.md says so).
 * What runs: the errors for a chip that is not there, and for a device that is no GPIO chip, from the real gpioset.
 * The exact command lines are in test/actuator/pure.test.ts.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GpioOutput } from '../../src/actuator/outputs/gpio.js';

describe('the GPIO output', () => {
  it('should refuse a chip this machine does not have, naming it and the chips there are', async () => {
    const chip = 'gpiochip97';
    expect(existsSync(`/dev/${chip}`)).toBe(false);
    await expect(GpioOutput.open({ chip, line: 17, activeLow: false })).rejects.toMatchObject({ code: 'GPIO', message: expect.stringMatching(/gpio: gpiochip97 line 17: there is no \/dev\/gpiochip97 \(this machine has .+\)/) });
  });

  it("should report gpioset's own error when it cannot take the line", async () => {
    // /dev/null exists but is no GPIO chip: gpioset 1.x says "Inappropriate ioctl for device" and exits
    const out = await GpioOutput.open({ chip: '/dev/null', line: 3, activeLow: false });
    await expect(out.drive(true)).rejects.toMatchObject({ code: 'GPIO', message: expect.stringMatching(/gpio: \/dev\/null line 3: gpioset exited \(1\): gpioset: .+/) });
    await out.close();
  });

  it('should say so when gpioset cannot be run', async () => {
    await expect(GpioOutput.open({ chip: '/dev/null', line: 3, activeLow: false, gpioset: '/nonexistent/gpioset' })).rejects.toMatchObject({ code: 'GPIO', message: expect.stringContaining('gpioset cannot be run') });
  });
});
