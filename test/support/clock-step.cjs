// Loaded with NODE_OPTIONS=--require: steps this process's wall clock (Date.now, new Date()) by the milliseconds
// written in $UNIAD_CLOCK_OFFSET_FILE, read again every 50 ms. A stand-in for NTP stepping the clock of a box without
// an RTC battery, which would need root and move the whole machine's clock. The monotonic clock is left alone.
const { readFileSync } = require('node:fs');

const file = process.env.UNIAD_CLOCK_OFFSET_FILE;
let offset = 0;
const read = () => {
  try {
    offset = Number(readFileSync(file, 'utf8')) || 0;
  } catch {
    offset = 0;
  }
};
read();
setInterval(read, 50).unref();

const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);
class SteppedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(realNow() + offset);
    else super(...args);
  }

  static now() {
    return realNow() + offset;
  }
}
globalThis.Date = SteppedDate;
