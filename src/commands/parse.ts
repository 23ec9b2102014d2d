/**
 * A command's arguments read strictly against its own options: an option it does not take, a value missing or given
 * to a flag, an argument it does not take and a required option left out are each a USAGE error that names them.
 * Pure apart from throwing.
 */
import { parseArgs } from 'node:util';
import { uniadError } from '../errors.js';
import { optionSyntax, type Command, type OptionSpecs, type OptionValues } from './command.js';

export type ParsedCommandLine = { readonly help: true } | { readonly help: false; readonly values: OptionValues<OptionSpecs>; readonly operands: readonly string[] };

/** Every command takes `--help` (`-h`) besides its own options. */
export const helpOption = { type: 'boolean', short: 'h', description: 'this help' } as const;

const quoted = (values: readonly string[]) => values.map((v) => JSON.stringify(v)).join(' ');

/** `--config FILE, --quiet and --log-level LEVEL`: what a list of options reads as. */
export function listOptions(options: OptionSpecs, names = Object.keys(options)): string {
  const spelled = names.map((name) => optionSyntax(name, options[name]!));
  return spelled.length <= 1 ? spelled.join('') : `${spelled.slice(0, -1).join(', ')} and ${spelled.at(-1)}`;
}

export function parseCommandLine(command: Command, args: readonly string[]): ParsedCommandLine {
  const options = { ...command.options, help: helpOption };
  // Not strict: node's own errors name neither the command nor what it takes; the tokens are checked below instead.
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return { help: true };

  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(command.options)) values[name] = spec.type === 'boolean' ? false : undefined;
  const operands: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') operands.push(token.value);
    if (token.kind !== 'option') continue;
    const spec = command.options[token.name];
    const takes = Object.keys(command.options).length === 0 ? 'it takes no options' : `it takes ${listOptions(command.options)}`;
    if (spec === undefined) throw uniadError('USAGE', `${command.name} does not take ${token.rawName}; ${takes}`);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw uniadError('USAGE', `${token.rawName} takes no value, got "${token.value}"`);
      values[token.name] = true;
      continue;
    }
    // `--config --quiet` is a forgotten value, not a file named "--quiet"; `--config=-x` says it means it.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-') && token.value !== '-')) {
      throw uniadError('USAGE', `${token.rawName} needs a value: ${optionSyntax(token.name, spec)}`);
    }
    values[token.name] = token.value;
  }

  const declared = command.operands ?? [];
  if (operands.length > declared.length) {
    const extra = operands.slice(declared.length);
    throw uniadError('USAGE', declared.length === 0 ? `${command.name} takes no arguments, got ${quoted(extra)}` : `${command.name} takes only ${declared.map((o) => o.name).join(' ')}, got also ${quoted(extra)}`);
  }
  const missing = Object.entries(command.options).filter(([name, spec]) => spec.type === 'string' && spec.required === true && values[name] === undefined).map(([name]) => name);
  if (missing.length > 0) throw uniadError('USAGE', `"${command.name}" needs ${listOptions(command.options, missing)}`);
  const absent = declared.slice(operands.length).filter((o) => o.optional !== true);
  if (absent.length > 0) throw uniadError('USAGE', `"${command.name}" needs ${absent.map((o) => `${o.name} (${o.description})`).join(' and ')}`);
  return { help: false, values, operands };
}
