// Times as a plant reads them: a 24-hour clock (a shift clock), in one time zone the page names (the box's by
// default, dashboard.timeZone), whatever the browser's language or zone. Pure.

/** The page's clock in `timeZone`: `time(ms)` "14:03:07", `zone(ms)` "Europe/Berlin (UTC+01:00)". */
export function clock(timeZone) {
  const hms = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const offset = new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'longOffset' });
  return {
    time: (ms) => hms.format(ms),
    zone(ms = Date.now()) {
      const name = offset.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
      // "GMT+05:30", or "GMT" for zero
      const utc = name === 'GMT' ? 'UTC+00:00' : name.replace('GMT', 'UTC');
      return `${timeZone} (${utc})`;
    },
  };
}

/** "2 min", "45 s", "3 h 5 min": how long ago, for an alarm's "since". */
export function elapsed(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
