/** A progress bar on stderr for long commands: redrawn in place on a terminal, one line per tenth otherwise (logs). */

/** `[##########----------]  400/800  50 %  washer`. Pure. */
export function progressLine(done: number, total: number, label: string, width = 30): string {
  const fraction = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(fraction * width);
  const count = `${String(done).padStart(String(total).length)}/${total}`;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count} ${String(Math.floor(fraction * 100)).padStart(3)} %  ${label}`;
}

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export type Progress = (done: number, total: number, label: string) => void;

export function progressBar(stream: ProgressStream = process.stderr): Progress {
  let lastTenth = -1;
  return (done, total, label) => {
    const line = progressLine(done, total, label);
    if (stream.isTTY) {
      stream.write(`\r${line}${done >= total ? '\n' : ''}`);
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    stream.write(`${line}\n`);
  };
}
