/** Each command's arguments read against its own options only, on the real command table. */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/commands/command.js';
import { parseCommandLine } from '../../src/commands/parse.js';
import { commands } from '../../src/commands/table.js';
import { UniadError } from '../../src/errors.js';

const named = (name: string): Command => commands.find((c) => c.name === name)!;

/** The USAGE error parsing `args` for `command` throws; fails the test when it does not throw one. */
function refusal(command: string, ...args: string[]): string {
  try {
    parseCommandLine(named(command), args);
  } catch (err) {
    expect(err).toBeInstanceOf(UniadError);
    expect((err as UniadError).code).toBe('USAGE');
    return (err as UniadError).message;
  }
  throw new Error(`${command} ${args.join(' ')} was accepted`);
}

const parsed = (command: string, ...args: string[]) => {
  const line = parseCommandLine(named(command), args);
  if (line.help) throw new Error('help asked');
  return line;
};

describe('strict options per command', () => {
  it('should refuse an option the command does not take, naming it, the command and what it takes', () => {
    expect(refusal('run', '--images', 'x')).toBe('usage: run does not take --images; it takes --config FILE, --quiet, --verdicts and --log-level LEVEL (see uniad-edge --help)');
    expect(refusal('calibrate', '--seconds', '3')).toMatch(/^usage: calibrate does not take --seconds; it takes --model FILE, --images DIR, /);
    expect(refusal('evidence', 'cam1:a:1', '--model', 'm')).toMatch(/^usage: evidence does not take --model; it takes --config FILE and --state-dir DIR /);
    expect(refusal('demo', '--config', 'f')).toMatch(/^usage: demo does not take --config; /);
    expect(refusal('check', '--verdicts', '--config', 'f')).toMatch(/^usage: check does not take --verdicts; /);
    expect(refusal('doctor', '--log-level', 'debug')).toMatch(/^usage: doctor does not take --log-level; /);
    expect(refusal('shadow-report', '--seconds=3')).toMatch(/^usage: shadow-report does not take --seconds; /);
  });

  it('should refuse an unknown short option as it was written', () => {
    expect(refusal('run', '-x', '-c', 'f')).toMatch(/^usage: run does not take -x; /);
  });

  it('should accept every option of a command, long, short and with =, flags false when absent', () => {
    expect(parsed('run', '-c', 'a.yaml', '--quiet').values).toEqual({ config: 'a.yaml', quiet: true, verdicts: false, 'log-level': undefined });
    expect(parsed('run', '--config=b.yaml', '--log-level', 'debug').values).toMatchObject({ config: 'b.yaml', quiet: false, 'log-level': 'debug' });
    expect(parsed('evaluate', '--benchmark', 'd', '--write-sidecar', '--ci', '--threads', '2').values).toMatchObject({ benchmark: 'd', 'write-sidecar': true, ci: true, threads: '2' });
  });

  it('should name every required option that is missing', () => {
    expect(refusal('run')).toBe('usage: "run" needs --config FILE (see uniad-edge --help)');
    expect(refusal('calibrate', '--model', 'm.onnx')).toBe('usage: "calibrate" needs --images DIR, --target-false-reject R and --out FILE (see uniad-edge --help)');
  });

  it('should refuse a value option without its value, also when an option follows in its place', () => {
    expect(refusal('run', '--config')).toMatch(/^usage: --config needs a value: --config FILE /);
    expect(refusal('run', '--config', '--quiet')).toMatch(/^usage: --config needs a value: --config FILE /);
    expect(parsed('run', '--config=-odd.yaml').values.config).toBe('-odd.yaml');
  });

  it('should refuse a value given to a flag', () => {
    expect(refusal('run', '-c', 'f', '--quiet=yes')).toMatch(/^usage: --quiet takes no value, got "yes" /);
  });

  it('should take arguments only where the command declares them, and need those', () => {
    expect(refusal('run', '-c', 'f', 'extra')).toMatch(/^usage: run takes no arguments, got "extra" /);
    expect(parsed('evidence', 'cam1:lx3k2a:1042', '--state-dir', '/s').operands).toEqual(['cam1:lx3k2a:1042']);
    expect(refusal('evidence', 'a', 'b')).toMatch(/^usage: evidence takes only ID, got also "b" /);
    expect(refusal('evidence', '--state-dir', '/s')).toMatch(/^usage: "evidence" needs ID \(a verdict id, e.g. cam1:lx3k2a:1042, or a part id, e.g. cam1:part:1234\) /);
  });

  it('should take what follows -- as arguments, not options', () => {
    expect(parsed('evidence', '--', '--odd-id').operands).toEqual(['--odd-id']);
  });

  it('should answer --help or -h for every command, whatever else is on the line', () => {
    for (const c of commands) {
      expect(parseCommandLine(c, ['--help'])).toEqual({ help: true });
      expect(parseCommandLine(c, ['--bogus', '-h'])).toEqual({ help: true });
    }
  });
});
