/**
 * Times two jobs alternately, `runs` rounds, swapping which goes first each round, so that a change in the machine's
 * load falls on both alike: on a shared box, two series timed minutes apart differ as much as the jobs do. Each job
 * gets the round number and returns its time in ms; the result is each job's times.
 */
export async function interleaved(runs: number, a: (round: number) => Promise<number>, b: (round: number) => Promise<number>): Promise<[number[], number[]]> {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      ta.push(await a(i));
      tb.push(await b(i));
    } else {
      tb.push(await b(i));
      ta.push(await a(i));
    }
  }
  return [ta, tb];
}
