/**
 * What a command of `uniad-edge` is: its name, its help, the options it takes (and no others) and its handler.
 * A command file holds only the glue from options to a call; what the command does lives in its own folder
 * (calibrate/, evaluation/, doctor/, service.ts). Every command is listed in table.ts.
 */

/** An option with a value, `--name VALUE` or `--name=VALUE`. */
export interface ValueOption {
  readonly type: 'string';
  /** The value's placeholder in help and errors: FILE, DIR, N, … */
  readonly value: string;
  readonly short?: string;
  /** The command refuses to start without it, naming it. */
  readonly required?: true;
  readonly description: string;
}

/** An option without a value, `--name`: false when absent. */
export interface FlagOption {
  readonly type: 'boolean';
  readonly short?: string;
  readonly description: string;
}

export type OptionSpec = ValueOption | FlagOption;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** What a handler receives for an option: a flag as a boolean, a value as a string (a required one always present). */
type OptionValue<S extends OptionSpec> = S extends FlagOption ? boolean : S extends { readonly required: true } ? string : string | undefined;

export type OptionValues<O extends OptionSpecs> = { readonly [K in keyof O]: OptionValue<O[K]> };

/** A positional argument; required unless `optional` (only the last ones may be). */
export interface Operand {
  /** Its placeholder in help and errors, e.g. ID. */
  readonly name: string;
  readonly description: string;
  /** It may be left out (`models list` has no MODEL). */
  readonly optional?: true;
}

export interface Command<O extends OptionSpecs = OptionSpecs> {
  readonly name: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** The synopsis after `uniad-edge <name>`, e.g. `--config FILE [--quiet]`; mentions every option (checked by a test). */
  readonly usage: string;
  readonly options: O;
  readonly operands?: readonly Operand[];
  /** More help after the options in `uniad-edge <name> --help` (signals, folder layouts). */
  readonly notes?: string;
  /** Resolves to the exit code; a thrown error is reported by commandFailure(). */
  handler(values: OptionValues<O>, operands: readonly string[]): Promise<number>;
}

/** Types a command's handler by its own options. */
export const command = <O extends OptionSpecs>(c: Command<O>): Command<O> => c;

/** `--name VALUE` or `--name`, as help and errors spell it. */
export const optionSyntax = (name: string, spec: OptionSpec): string => (spec.type === 'string' ? `--${name} ${spec.value}` : `--${name}`);
