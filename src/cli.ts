/**
 * The `uniad-edge` command line: `--help` and `--version`, else the command named first, its own options read strictly
 * (commands/parse.ts), its handler run. Every failure is reported by commandFailure(), which picks the exit code.
 */
import { commandFailure } from './command-failure.js';
import { commandHelp, topLevelHelp } from './commands/help.js';
import { parseCommandLine } from './commands/parse.js';
import { commands } from './commands/table.js';
import { uniadError } from './errors.js';
import { packageVersion } from './package-root.js';

const names = () => `${commands.slice(0, -1).map((c) => c.name).join(', ')} or ${commands.at(-1)!.name}`;

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) {
      process.stdout.write(topLevelHelp(commands));
      return 2;
    }
    if (first === '--help' || first === '-h') {
      process.stdout.write(topLevelHelp(commands));
      return 0;
    }
    if (first === '--version' || first === '-v') {
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    const command = commands.find((c) => c.name === first);
    if (command === undefined) {
      const why = first.startsWith('-') ? `the command comes first, before ${first}` : `unknown command "${first}"`;
      throw uniadError('USAGE', `${why} (use ${names()})`);
    }
    const line = parseCommandLine(command, rest);
    if (line.help) {
      process.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.handler(line.values, line.operands);
  } catch (err) {
    return commandFailure(err);
  }
}
