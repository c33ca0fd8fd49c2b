// `vfio-impact snapshot [--out FILE]`: this machine's PCI devices and IOMMU groups as one corpus
// file (sysfs, plus `lspci -vvvnnk -D` when installed) that `corpus` and `analyze` read back.

import { isAbsolute, join } from 'node:path';
import { Option } from 'commander';
import type { Registrar } from '../main.js';
import { CliError, EXIT_OK } from '../context.js';
import { sanitize } from '../../diagnostics/sanitize.js';
import { parseInput } from '../../corpus/parse.js';
import { checkOutPath, writeAtomic } from '../../report/output.js';

export const registerSnapshot: Registrar = (program, ctx, setExit) => {
  program
    .command('snapshot')
    .description("write this machine's PCI devices and IOMMU groups as a corpus file (stdout unless --out)")
    .option('--out <file>', 'write to FILE instead of stdout')
    .addOption(new Option('--sysfs-root <dir>', 'read sysfs from DIR (tests)').default('/sys').hideHelp())
    .addOption(new Option('--proc-root <dir>', 'read procfs from DIR (tests)').default('/proc').hideHelp())
    .addOption(new Option('--no-lspci', 'do not run lspci; write what sysfs says').hideHelp())
    .action(async (opts: { out?: string; sysfsRoot: string; procRoot: string; lspci: boolean }) => {
      // The sysfs reader loads only for this command, not on every run of the CLI.
      const { writeSnapshot } = await import('../../corpus/snapshot.js');
      const text = await writeSnapshot({ sysfsRoot: opts.sysfsRoot, procRoot: opts.procRoot, lspci: opts.lspci ? 'lspci' : false });
      const name = opts.out ?? '<stdout>';
      const { hosts } = parseInput(text, name);
      const host = hosts[0];
      const groups = new Set(host?.devices.map((d) => d.iommuGroup).filter((g) => g !== null));
      if (opts.out !== undefined) {
        const path = isAbsolute(opts.out) ? opts.out : join(ctx.cwd, opts.out);
        // Same rules as analyze --out: no writing through a symlink, temp file then rename.
        const target = await checkOutPath(path);
        try {
          await writeAtomic(target, text);
        } catch (err) {
          if (err instanceof CliError) throw err;
          throw new CliError(`cannot write ${opts.out}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
      } else {
        ctx.stdout.write(text);
      }
      ctx.stderr.write(
        `vfio-impact: snapshot ${sanitize(name)}: ${host?.devices.length ?? 0} devices, ` +
          `${groups.size > 0 ? `${groups.size} IOMMU groups` : 'no IOMMU groups'}\n`,
      );
      setExit(EXIT_OK);
    });
};
