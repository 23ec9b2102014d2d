/**
 * The help texts, written from the command table so that they cannot disagree with what the commands take. Pure.
 */
import { optionSyntax, type Command } from './command.js';
import { helpOption } from './parse.js';

const width = 110;

/**
 * `text` broken at spaces into lines of at most `width` characters (a longer word stays whole): the first after
 * `indent`, the others after `hanging`.
 */
export function wrap(text: string, indent: string, hanging = indent): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const prefix = lines.length === 0 ? indent : hanging;
    if (line !== '' && prefix.length + line.length + 1 + word.length > width) {
      lines.push(prefix + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push((lines.length === 0 ? indent : hanging) + line);
  return lines;
}

const synopsis = (c: Command, indent: string) => wrap(`uniad-edge ${c.name} ${c.usage}`, indent, `${indent}    `);

/** `uniad-edge --help`: every command of the table with its synopsis and summary. */
export function topLevelHelp(commands: readonly Command[]): string {
  return [
    'uniad-edge — UniAD anomaly inspection for every camera of a line, verdicts over MQTT',
    '',
    'Usage:',
    ...commands.flatMap((c) => [...synopsis(c, '  '), ...wrap(c.summary, '      ')]),
    '  uniad-edge --help | --version',
    '  uniad-edge COMMAND --help',
    '      the options of COMMAND, each explained',
    '',
  ].join('\n');
}

/** `uniad-edge <command> --help`: its synopsis, summary, arguments, every option it takes, and its notes. */
export function commandHelp(c: Command): string {
  const options = Object.entries({ ...c.options, help: helpOption }).map(([name, spec]) => ({
    left: `${spec.short ? `-${spec.short}, ` : ''}${optionSyntax(name, spec)}`,
    description: spec.description,
  }));
  const operands = (c.operands ?? []).map((o) => ({ left: o.name, description: o.description }));
  const column = Math.max(...[...options, ...operands].map((o) => o.left.length)) + 4;
  const rows = (list: readonly { left: string; description: string }[]) =>
    list.flatMap(({ left, description }) => {
      const [first = '', ...rest] = wrap(description, ' '.repeat(column));
      return [`  ${left.padEnd(column - 2)}${first.trimStart()}`, ...rest];
    });
  return [
    'Usage:',
    ...synopsis(c, '  '),
    '',
    ...wrap(c.summary, ''),
    ...(operands.length > 0 ? ['', 'Arguments:', ...rows(operands)] : []),
    '',
    'Options:',
    ...rows(options),
    ...(c.notes ? ['', ...c.notes.split('\n\n').flatMap((paragraph, i) => [...(i > 0 ? [''] : []), ...wrap(paragraph, '')])] : []),
    '',
  ].join('\n');
}
