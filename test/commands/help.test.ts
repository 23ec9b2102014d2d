/** The help texts come from the command table: every command listed, every option explained, no option invented. */
import { describe, expect, it } from 'vitest';
import { optionSyntax } from '../../src/commands/command.js';
import { commandHelp, topLevelHelp, wrap } from '../../src/commands/help.js';
import { commands } from '../../src/commands/table.js';

const optionsIn = (text: string) => new Set([...text.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0].slice(2)));

describe('the command table', () => {
  it('should hold each command once, with a summary and a handler', () => {
    const names = commands.map((c) => c.name);
    expect(names).toEqual(['run', 'check', 'doctor', 'demo', 'actuate', 'evaluate', 'evidence', 'shadow-report', 'calibrate', 'collect', 'train', 'models', 'rollout', 'consume', 'fleet']);
    for (const c of commands) {
      expect(c.summary, c.name).not.toBe('');
      expect(typeof c.handler, c.name).toBe('function');
    }
  });

  it("should give each command a synopsis that names exactly the options it takes", () => {
    for (const c of commands) expect(optionsIn(c.usage), c.name).toEqual(new Set(Object.keys(c.options)));
  });

  it('should give each required option a synopsis without brackets, and each optional one with', () => {
    for (const c of commands) {
      for (const [name, spec] of Object.entries(c.options)) {
        const bracketed = new RegExp(`\\[[^\\]]*--${name}\\b`).test(c.usage);
        expect(bracketed, `${c.name} --${name}`).toBe(!(spec.type === 'string' && spec.required));
      }
    }
  });
});

describe('uniad-edge --help', () => {
  const help = topLevelHelp(commands);

  it('should list every command of the table, in its order, with its synopsis and summary', () => {
    const listed = [...help.matchAll(/^ {2}uniad-edge ([a-z][a-z-]*)/gm)].map((m) => m[1]);
    expect(listed).toEqual(commands.map((c) => c.name));
    const flat = help.replace(/\s+/g, ' ');
    for (const c of commands) {
      expect(flat, c.name).toContain(`uniad-edge ${c.name} ${c.usage}`);
      expect(flat, c.name).toContain(c.summary);
    }
  });

  it('should keep its lines within 110 characters', () => {
    expect(help.split('\n').filter((l) => l.length > 110)).toEqual([]);
  });
});

describe('uniad-edge COMMAND --help', () => {
  it('should show the synopsis and every option the command takes, with its description, and --help', () => {
    for (const c of commands) {
      const help = commandHelp(c);
      const flat = help.replace(/\s+/g, ' ');
      expect(flat, c.name).toContain(`uniad-edge ${c.name} ${c.usage}`);
      for (const [name, spec] of Object.entries(c.options)) expect(flat, `${c.name} --${name}`).toContain(`${optionSyntax(name, spec)} ${spec.description}`);
      for (const operand of c.operands ?? []) expect(flat, c.name).toContain(`${operand.name} ${operand.description}`);
      expect(help, c.name).toMatch(/^ {2}-h, --help +this help$/m);
      expect(optionsIn(help), c.name).toEqual(new Set([...Object.keys(c.options), 'help']));
      expect(help.split('\n').filter((l) => l.length > 110), c.name).toEqual([]);
    }
  });

  it('should show the signals where the service runs', () => {
    for (const name of ['run', 'demo']) expect(commandHelp(commands.find((c) => c.name === name)!)).toMatch(/^Signals: SIGTERM or SIGINT stop the cameras/m);
  });
});

describe('wrap', () => {
  it('should break at spaces within the width, indenting the first and the following lines', () => {
    const text = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');
    const lines = wrap(text, '  ', '      ');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[0]).toMatch(/^ {2}w0 /);
    for (const line of lines.slice(1)) expect(line).toMatch(/^ {6}w\d/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(110);
    expect(lines.map((l) => l.trim()).join(' ')).toBe(text);
  });

  it('should keep a word longer than the width whole, on a line of its own', () => {
    const long = 'x'.repeat(130);
    expect(wrap(`a ${long} b`, '')).toEqual(['a', long, 'b']);
  });
});
