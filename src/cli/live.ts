// "Would this series break my setup?": the machine the tool runs on, read the same way a
// `vfio-impact snapshot` file is read back, so live and stored judgements agree.

import type { Host } from '../corpus/model.js';
import { parseInput } from '../corpus/parse.js';
import { writeSnapshot } from '../corpus/snapshot.js';
import { CliError } from './context.js';

export async function liveHosts(): Promise<Host[]> {
  const text = await writeSnapshot();
  const { hosts, diagnostics } = parseInput(text, '<this machine>');
  if (hosts.length === 0) {
    const why = diagnostics.map((d) => d.message).join('; ');
    throw new CliError(`cannot read this machine's PCI devices from sysfs${why ? `: ${why}` : ''}`);
  }
  return hosts;
}
