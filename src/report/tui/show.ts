// Every string that came from an input (device names, patch subjects, file names, driver names)
// goes through this right where it is rendered, whatever the model already did: a dump can carry
// ESC/CSI/OSC sequences that would otherwise drive the user's terminal.

import { sanitize } from '../../diagnostics/sanitize.js';

export function show(text: string | null | undefined, fallback = ''): string {
  return sanitize(text ?? fallback);
}
