// Where the shipped data lives (baselines/kernel/*.csv): the nearest folder above this module
// holding package.json, so the same code works from src/ (vitest) and from dist/ (the CLI).

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('vfio-impact: cannot find the project root (package.json)');
    dir = up;
  }
}

/** baselines/kernel: kernel facts as data, each row with its source. */
export function kernelFactsDir(): string {
  return join(projectRoot(), 'baselines', 'kernel');
}
