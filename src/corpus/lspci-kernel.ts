// Lines ls-kernel.c prints at the end of each device block with -k or any -v (spec §8.2),
// and the `Subsystem:` line that follows the header line (spec §8.1).

import type { Block } from './block.js';
import { clean, parseIds } from './device-line.js';

const DRIVER_IN_USE = 'Kernel driver in use: ';
const MODULES = 'Kernel modules: ';
const DRIVER_NON_LINUX = 'Driver in use: ';
const SUBSYSTEM = 'Subsystem: ';

/**
 * `\tKernel driver in use: vfio-pci` / `\tKernel modules: nvidiafb, nouveau`. The line ends at
 * `end` (`s` may hold more lines after it; see readBodyLine).
 */
export function readKernelLine(b: Block, s: string, at: number, end = s.length): boolean {
  // Both start `Kernel `: the next letter picks the one prefix worth testing.
  const c7 = s.charCodeAt(at + 7);
  if (c7 === 100 /* d */ && s.startsWith(DRIVER_IN_USE, at)) {
    setDriver(b, s.slice(at + DRIVER_IN_USE.length, end));
    return true;
  }
  if (c7 === 109 /* m */ && s.startsWith(MODULES, at)) {
    b.modulesLineSeen = true;
    b.endsWithKernelLine = true;
    // Module names as kmod knows them: underscore form (`snd_hda_intel`).
    // The pieces of `split(',')` cut by indexOf: split is a runtime call, costly for the one
    // module most lines name. A regex-free replace only when a `-` is there.
    const list = s.slice(at + MODULES.length, end);
    const modules: string[] = [];
    let from = 0;
    for (;;) {
      const comma = list.indexOf(',', from);
      const name = clean((comma < 0 ? list.slice(from) : list.slice(from, comma)).trim());
      if (name.length > 0) modules.push(name.includes('-') ? name.replaceAll('-', '_') : name);
      if (comma < 0) break;
      from = comma + 1;
    }
    b.modules = modules;
    return true;
  }
  return false;
}

/** `\tDriver in use: <name>`: lspci built without libkmod / not on Linux. */
export function readDriverLine(b: Block, s: string, at: number, end = s.length): boolean {
  if (!s.startsWith(DRIVER_NON_LINUX, at)) return false;
  setDriver(b, s.slice(at + DRIVER_NON_LINUX.length, end));
  return true;
}

function setDriver(b: Block, name: string): void {
  const driver = clean(name.trim());
  b.driver = driver.length > 0 ? driver : null;
  b.driverLineSeen = true;
  b.endsWithKernelLine = true;
  b.endsWithDriverLine = true;
}

/** `\tSubsystem: Dell Device [1028:092e]` (-nn) or `\tSubsystem: 1da2:e366` (-n). */
export function readSubsystemLine(b: Block, s: string, at: number, end = s.length): boolean {
  if (!s.startsWith(SUBSYSTEM, at)) return false;
  const ids = parseIds(s.slice(at + SUBSYSTEM.length, end).trimEnd());
  if (ids) {
    b.subsystemVendorId = ids[0];
    b.subsystemDeviceId = ids[1];
  }
  return true;
}
