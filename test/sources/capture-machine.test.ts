import { describe, expect, it } from 'vitest';
import { startCapture, stepCapture, type CaptureAction, type CaptureInput, type CaptureRules, type CaptureState } from '../../src/sources/capture-machine.js';

const rules = (extra: Partial<CaptureRules> = {}): CaptureRules => ({
  camera: 'cam1',
  source: 'rtsp://cam/1',
  file: false,
  loop: false,
  watchdogSeconds: 5,
  startAllowanceSeconds: 60,
  restart: { initialMs: 100, maxMs: 1000, factor: 2 },
  ...extra,
});

/** Every step of a run: the input and the actions it gave. */
function run(r: CaptureRules, inputs: readonly CaptureInput[]): { state: CaptureState; steps: { input: CaptureInput | 'subscribe'; actions: readonly CaptureAction[] }[] } {
  const first = startCapture(r);
  let state = first.state;
  const steps: { input: CaptureInput | 'subscribe'; actions: readonly CaptureAction[] }[] = [{ input: 'subscribe', actions: first.actions }];
  for (const input of inputs) {
    const next = stepCapture(r, state, input);
    state = next.state;
    steps.push({ input, actions: next.actions });
  }
  return { state, steps };
}

/** The actions of a run as short words, one string per step: `spawn watch:60`, `deliver:0`, `emit:exited` … */
function script(r: CaptureRules, inputs: readonly CaptureInput[]): string[] {
  const word = (a: CaptureAction): string => {
    switch (a.type) {
      case 'arm-watchdog':
        return `watch:${a.seconds}`;
      case 'disarm-watchdog':
        return 'unwatch';
      case 'schedule-restart':
        return `restart-in:${a.delayMs}`;
      case 'deliver':
        return `deliver:${a.seq}`;
      case 'emit':
        return `emit:${a.event.type}`;
      default:
        return a.type;
    }
  };
  return run(r, inputs).steps.map((s) => s.actions.map(word).join(' '));
}

const emitted = (r: CaptureRules, inputs: readonly CaptureInput[]) => run(r, inputs).steps.flatMap((s) => s.actions.flatMap((a) => (a.type === 'emit' ? [a.event] : [])));

const started = (pid = 1): CaptureInput => ({ type: 'started', pid });
const frame: CaptureInput = { type: 'frame' };
const crash: CaptureInput = { type: 'exit', code: null, signal: 'SIGKILL' };
const failed: CaptureInput = { type: 'exit', code: 1, signal: null };
const watchdog: CaptureInput = { type: 'watchdog' };
const due: CaptureInput = { type: 'restart-due' };
const stop: CaptureInput = { type: 'stop' };
const eos: CaptureInput = { type: 'end-of-stream' };
const fileEnd = (framesInFile?: number): CaptureInput => ({ type: 'exit', code: 0, signal: null, ...(framesInFile === undefined ? {} : { framesInFile }) });

describe('capture state machine', () => {
  it('should spawn at once, watch the start with the start allowance, then each frame with the watchdog period', () => {
    expect(script(rules(), [started(), frame, frame])).toEqual(['spawn watch:60', 'watch:5 emit:started', 'watch:5 deliver:0', 'watch:5 deliver:1']);
    expect(script(rules({ watchdogSeconds: 90 }), [])).toEqual(['spawn watch:90']);
    expect(emitted(rules(), [started(42)])).toEqual([{ type: 'started', camera: 'cam1', pid: 42 }]);
  });

  it('should restart a crashed process after a backoff, telling the exit and the attempt', () => {
    expect(script(rules(), [started(), frame, crash, due, started(2), frame])).toEqual([
      'spawn watch:60',
      'watch:5 emit:started',
      'watch:5 deliver:0',
      'unwatch restart-in:100 emit:exited emit:restarting',
      'spawn watch:60',
      'watch:5 emit:started',
      'watch:5 deliver:1',
    ]);
    expect(emitted(rules(), [started(), crash]).slice(1)).toEqual([
      { type: 'exited', camera: 'cam1', code: null, signal: 'SIGKILL' },
      { type: 'restarting', camera: 'cam1', attempt: 1, delayMs: 100 },
    ]);
  });

  it('should double the delay of repeated crashes up to its cap, and start again from the first once frames flowed', () => {
    const delays = (inputs: CaptureInput[]) => emitted(rules(), inputs).flatMap((e) => (e.type === 'restarting' ? [`${e.attempt}:${e.delayMs}`] : []));
    const fiveCrashes = [failed, due, failed, due, failed, due, failed, due, failed, due];
    expect(delays(fiveCrashes)).toEqual(['1:100', '2:200', '3:400', '4:800', '5:1000']);
    expect(delays([...fiveCrashes, failed, due, started(), frame, crash])).toEqual(['1:100', '2:200', '3:400', '4:800', '5:1000', '6:1000', '1:100']);
    // started without a frame is no recovery: a camera that connects and then fails keeps backing off
    expect(delays([failed, due, started(), failed, due, started(), failed])).toEqual(['1:100', '2:200', '3:400']);
  });

  it('should kill a frozen process on its watchdog and restart it once it has exited', () => {
    const inputs = [started(), frame, watchdog, crash, due];
    expect(script(rules(), inputs)).toEqual(['spawn watch:60', 'watch:5 emit:started', 'watch:5 deliver:0', 'kill emit:frame-timeout', 'restart-in:100 emit:exited emit:restarting', 'spawn watch:60']);
    expect(emitted(rules(), inputs).map((e) => e.type)).toEqual(['started', 'frame-timeout', 'exited', 'restarting']);
    expect(emitted(rules(), [watchdog])).toEqual([{ type: 'frame-timeout', camera: 'cam1', seconds: 60 }]);
  });

  it('should deliver the frames a killed process still had in its pipe, without reviving its watchdog, and ignore a late watchdog', () => {
    expect(script(rules(), [started(), watchdog, frame, watchdog, started()])).toEqual(['spawn watch:60', 'watch:5 emit:started', 'kill emit:frame-timeout', 'deliver:0', '', '']);
  });

  it('should cancel the restart when stopped during the backoff, and do nothing after', () => {
    const { state, steps } = run(rules(), [started(), crash, stop, due, frame, crash, started()]);
    expect(steps.map((s) => s.actions.map((a) => a.type).join(' '))).toEqual([
      'spawn arm-watchdog',
      'arm-watchdog emit',
      'disarm-watchdog schedule-restart emit emit',
      'cancel-restart',
      '',
      '',
      '',
      '',
    ]);
    expect(state.phase).toBe('done');
  });

  it('should kill a process stopped while it starts, and ignore its exit and messages', () => {
    expect(script(rules(), [stop, started(), { type: 'error', message: 'x' }, frame, crash, due])).toEqual(['spawn watch:60', 'unwatch kill', '', '', '', '', '']);
    expect(script(rules(), [started(), frame, stop, crash])).toEqual(['spawn watch:60', 'watch:5 emit:started', 'watch:5 deliver:0', 'unwatch kill', '']);
  });

  it('should name the source in a pipeline error and pass warnings on, without restarting by itself', () => {
    expect(emitted(rules(), [started(), { type: 'error', message: 'Resource not found.' }, { type: 'warning', message: 'late buffer' }])).toEqual([
      { type: 'started', camera: 'cam1', pid: 1 },
      { type: 'error', camera: 'cam1', message: 'Resource not found.; source rtsp://cam/1' },
      { type: 'warning', camera: 'cam1', message: 'late buffer' },
    ]);
    expect(script(rules(), [{ type: 'error', message: 'x' }, failed])).toEqual(['spawn watch:60', 'emit:error', 'unwatch restart-in:100 emit:exited emit:restarting']);
  });

  describe('a file', () => {
    const file = rules({ file: true, source: '/videos/a.mp4' });
    const looping = rules({ file: true, loop: true });

    it('should complete at its end, without a restart', () => {
      expect(script(file, [started(), frame, fileEnd()])).toEqual(['spawn watch:60', 'watch:5 emit:started', 'watch:5 deliver:0', 'unwatch emit:ended complete']);
      expect(emitted(file, [started(), fileEnd()]).at(-1)).toEqual({ type: 'ended', camera: 'cam1', loop: false });
    });

    it('should play again at once with loop, seq going on and the next process watched from its start', () => {
      expect(script(looping, [started(), frame, fileEnd(), started(2), frame])).toEqual([
        'spawn watch:60',
        'watch:5 emit:started',
        'watch:5 deliver:0',
        'spawn watch:60 emit:ended',
        'watch:5 emit:started',
        'watch:5 deliver:1',
      ]);
    });

    it('should say how many frames a pass lost against the file sample table, per pass', () => {
      const lost = emitted(looping, [started(), frame, frame, fileEnd(3), started(), frame, frame, frame, fileEnd(3)]).filter((e) => e.type === 'frames-lost' || e.type === 'ended');
      expect(lost).toEqual([
        { type: 'frames-lost', camera: 'cam1', got: 2, expected: 3 },
        { type: 'ended', camera: 'cam1', loop: true },
        { type: 'ended', camera: 'cam1', loop: true },
      ]);
    });

    it('should count the end of a file as its end however its process exits once it said so, and stop watching it', () => {
      // a loaded machine: the child flushed its last frame, said eos, then needed SIGKILL to go (issue 20 item 11)
      expect(script(looping, [started(), frame, eos, frame, crash])).toEqual(['spawn watch:60', 'watch:5 emit:started', 'watch:5 deliver:0', 'unwatch', 'deliver:1', 'spawn watch:60 emit:ended']);
      expect(emitted(file, [started(), eos, { type: 'exit', code: null, signal: 'SIGKILL', framesInFile: 0 }]).map((e) => e.type)).toEqual(['started', 'ended']);
    });

    it('should restart a file whose process failed before its end, and never treat the end of a camera as an end', () => {
      expect(emitted(file, [started(), failed]).map((e) => e.type)).toEqual(['started', 'exited', 'restarting']);
      expect(script(rules(), [started(), eos, fileEnd()])).toEqual(['spawn watch:60', 'watch:5 emit:started', '', 'unwatch restart-in:100 emit:exited emit:restarting']);
    });
  });

  describe('held by its consumer', () => {
    const file = rules({ file: true });
    const hold: CaptureInput = { type: 'hold' };
    const release: CaptureInput = { type: 'release' };

    it('should pause without a watchdog while held, and watch again once released', () => {
      expect(script(file, [started(), frame, hold, frame, hold, release, frame])).toEqual([
        'spawn watch:60',
        'watch:5 emit:started',
        'watch:5 deliver:0',
        'pause unwatch',
        'deliver:1',
        '',
        'resume watch:5',
        'watch:5 deliver:2',
      ]);
    });

    it('should not pause a process the watchdog is killing, and forget a hold when the process is replaced', () => {
      expect(script(file, [started(), watchdog, hold])).toEqual(['spawn watch:60', 'watch:5 emit:started', 'kill emit:frame-timeout', '']);
      const { state } = run(file, [started(), frame, hold, failed]);
      expect(state.held).toBe(false);
      expect(script(file, [started(), frame, hold, failed, due, release])).toEqual(['spawn watch:60', 'watch:5 emit:started', 'watch:5 deliver:0', 'pause unwatch', 'restart-in:100 emit:exited emit:restarting', 'spawn watch:60', '']);
    });

    it('should resume without a watchdog a file that ended while held', () => {
      expect(script(file, [started(), frame, hold, eos, release])).toEqual(['spawn watch:60', 'watch:5 emit:started', 'watch:5 deliver:0', 'pause unwatch', '', 'resume']);
    });
  });

  describe('a software-triggered camera', () => {
    const sw = rules({ trigger: 'software' });
    const trig = (partId: string, at = 1000): CaptureInput => ({ type: 'trigger', partId, at });
    const answer = (trigger: number): CaptureInput => ({ type: 'frame', trigger });
    const delivered = (r: CaptureRules, inputs: readonly CaptureInput[]) =>
      run(r, inputs).steps.flatMap((s) => s.actions.flatMap((a) => (a.type === 'deliver' ? [`${a.seq}:${a.trigger?.partId ?? '-'}`] : [])));

    it('should fire a trigger at once and watch for frames only while one is owed', () => {
      expect(script(sw, [started(), trig('p1'), answer(1), trig('p2'), trig('p3'), answer(2), answer(3)])).toEqual([
        'spawn watch:60',
        'unwatch emit:started',
        'fire watch:5',
        'unwatch deliver:0',
        'fire watch:5',
        'fire',
        'watch:5 deliver:1',
        'unwatch deliver:2',
      ]);
      expect(run(sw, [started(), trig('p1', 7)]).steps.at(-1)!.actions[0]).toEqual({ type: 'fire', seq: 1 });
    });

    it('should deliver each frame with the part signal of the trigger it answers', () => {
      const steps = run(sw, [started(), trig('p1', 11), trig('p2', 12), answer(1), answer(2)]).steps;
      expect(steps.flatMap((s) => s.actions.filter((a) => a.type === 'deliver'))).toEqual([
        { type: 'deliver', seq: 0, trigger: { partId: 'p1', at: 11 } },
        { type: 'deliver', seq: 1, trigger: { partId: 'p2', at: 12 } },
      ]);
    });

    it('should drop a frame that answers no owed trigger, and say so', () => {
      expect(delivered(sw, [started(), frame, trig('p1'), answer(7), answer(1), answer(1)])).toEqual(['0:p1']);
      expect(emitted(sw, [started(), frame, trig('p1'), answer(7)]).map((e) => e.type)).toEqual(['started', 'untriggered-frame', 'untriggered-frame']);
    });

    it('should tell a missed trigger with its part signal and why, once', () => {
      const inputs: CaptureInput[] = [started(), trig('p1', 5), trig('p2', 6), { type: 'trigger-missed', seq: 1, reason: 'timeout' }, { type: 'trigger-missed', seq: 2, reason: 'failed', message: 'no ack' }, { type: 'trigger-missed', seq: 2, reason: 'resync' }];
      expect(emitted(sw, inputs).slice(1)).toEqual([
        { type: 'trigger-missed', camera: 'cam1', partId: 'p1', at: 5, reason: 'timeout' },
        { type: 'trigger-missed', camera: 'cam1', partId: 'p2', at: 6, reason: 'failed', message: 'no ack' },
      ]);
      expect(script(sw, inputs).slice(3)).toEqual(['fire', 'watch:5 emit:trigger-missed', 'unwatch emit:trigger-missed', '']);
    });

    it('should miss at once a trigger for a camera that is not running or not software-triggered', () => {
      const reasons = (r: CaptureRules, inputs: CaptureInput[]) => emitted(r, inputs).flatMap((e) => (e.type === 'trigger-missed' ? [`${e.partId}:${e.reason}`] : []));
      expect(reasons(sw, [trig('p1'), started(), crash, trig('p2'), due, trig('p3')])).toEqual(['p1:not-running', 'p2:not-running', 'p3:not-running']);
      expect(reasons(rules(), [started(), trig('p1')])).toEqual(['p1:not-software-triggered']);
      expect(reasons(rules({ trigger: 'hardware' }), [started(), trig('p1')])).toEqual(['p1:not-software-triggered']);
      expect(script(sw, [trig('p1')])).toEqual(['spawn watch:60', 'emit:trigger-missed']);
    });

    it('should miss every owed trigger when its process exits or the camera stops, and number triggers on across processes', () => {
      const inputs = [started(), trig('p1'), trig('p2'), crash, due, started(2), trig('p3')];
      expect(emitted(sw, inputs).map((e) => (e.type === 'trigger-missed' ? `${e.partId}:${e.reason}` : e.type))).toEqual(['started', 'exited', 'p1:exited', 'p2:exited', 'restarting', 'started']);
      expect(run(sw, inputs).steps.at(-1)!.actions[0]).toEqual({ type: 'fire', seq: 3 });
      expect(emitted(sw, [started(), trig('p1'), stop]).at(-1)).toEqual({ type: 'trigger-missed', camera: 'cam1', partId: 'p1', at: 1000, reason: 'stopped' });
      expect(run(sw, [started(), trig('p1'), stop]).state.owed).toEqual([]);
    });

    it('should kill a process that answers no owed trigger within the watchdog period', () => {
      expect(script(sw, [started(), trig('p1'), watchdog, crash])).toEqual(['spawn watch:60', 'unwatch emit:started', 'fire watch:5', 'kill emit:frame-timeout', 'restart-in:100 emit:exited emit:trigger-missed emit:restarting']);
    });

    it('should number triggers as uint32 without 0, which means none on the frame pipe', () => {
      const { state } = run(sw, [started()]);
      const next = stepCapture(sw, { ...state, nextTrigger: 0xffff_ffff }, trig('p1'));
      expect([next.actions[0], next.state.nextTrigger]).toEqual([{ type: 'fire', seq: 0xffff_ffff }, 1]);
    });

    it('should tell incomplete camera frames', () => {
      expect(emitted(sw, [started(), { type: 'incomplete', count: 3 }]).at(-1)).toEqual({ type: 'frames-incomplete', camera: 'cam1', count: 3 });
    });
  });

  it('should watch a hardware-triggered camera only until it started, and deliver its frames as they come', () => {
    const hw = rules({ trigger: 'hardware' });
    expect(script(hw, [started(), frame, frame])).toEqual(['spawn watch:60', 'unwatch emit:started', 'deliver:0', 'deliver:1']);
  });

  it('should carry the error table code of an error', () => {
    expect(emitted(rules(), [{ type: 'error', message: 'refused', code: 'GENICAM_FEATURE' }])).toEqual([{ type: 'error', camera: 'cam1', message: 'refused; source rtsp://cam/1', code: 'GENICAM_FEATURE' }]);
  });

  it('should do its effects before it tells anyone, in every step, so that a handler that stops the camera undoes them', () => {
    const triggers: CaptureInput[] = [{ type: 'trigger', partId: 'a', at: 1 }, { type: 'trigger', partId: 'b', at: 2 }, { type: 'frame', trigger: 1 }, { type: 'trigger-missed', seq: 2, reason: 'timeout' }, { type: 'trigger', partId: 'c', at: 3 }];
    const inputs: CaptureInput[] = [started(), frame, ...triggers, watchdog, crash, due, started(), ...triggers, { type: 'error', message: 'e' }, failed, due, eos, fileEnd(9), started(), ...triggers, stop];
    const told = new Set(['emit', 'deliver', 'complete']);
    for (const r of [rules(), rules({ file: true }), rules({ file: true, loop: true }), rules({ trigger: 'software' })]) {
      for (const { input, actions } of run(r, inputs).steps) {
        const firstTold = actions.findIndex((a) => told.has(a.type));
        const effectAfter = firstTold >= 0 && actions.slice(firstTold).some((a) => !told.has(a.type));
        expect(effectAfter, `${JSON.stringify(input)}: ${actions.map((a) => a.type).join(' ')}`).toBe(false);
      }
    }
  });
});
