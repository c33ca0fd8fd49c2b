// Wires the pipeline stages to commander subcommands. Every command resolves to an exit code:
// 0 clean, 1 findings (gate), 2 could not judge or usage error.

import { Command, CommanderError } from 'commander';
import { CliError, EXIT_ERROR, defaultContext, type CliContext } from './context.js';
import { sanitize } from '../diagnostics/sanitize.js';
import { registerCorpus } from './commands/corpus.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerFlags } from './commands/flags.js';
import { registerGroups } from './commands/groups.js';
import { registerAnalyze } from './commands/analyze.js';

export type Registrar = (program: Command, ctx: CliContext, setExit: (code: number) => void) => void;

export function buildProgram(ctx: CliContext, setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('vfio-impact')
    .description(
      'Which VFIO passthrough setups a kernel patch series would break: every IOMMU group of every host judged ' +
        'under the old header-type rule and the driver_managed_dma self-declaration rule (Linux 5.19+).',
    )
    .addHelpText(
      'after',
      `
Examples:
  vfio-impact analyze --series corpora/series/portdrv --corpus ../shared/corpora/linuxhw
  vfio-impact analyze --git ~/linux --range v6.18..my-branch --corpus dumps/ --format markdown
  vfio-impact gate --series outgoing/ --corpus dumps/ --baseline baselines/gate/shared-portdrv.csv
  vfio-impact analyze --series fix.patch          (no --corpus: judge this machine)

Exit codes: 0 clean, 1 findings (gate: new regressions), 2 could not judge (usage or input error).`,
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .exitOverride();
  for (const register of [registerCorpus, registerSnapshot, registerFlags, registerGroups, registerAnalyze]) {
    register(program, ctx, setExit);
  }
  return program;
}

export async function main(argv: string[], ctx: CliContext = defaultContext()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(ctx, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every other commander error is a usage error.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return EXIT_ERROR;
    }
    if (err instanceof CliError) {
      ctx.stderr.write(`vfio-impact: ${sanitize(err.message)}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
