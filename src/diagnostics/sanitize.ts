// Nothing from an input reaches the terminal unsanitised: device names, patch subjects and
// file names can carry ESC, CSI/OSC sequences, C1 controls or bidi overrides.

// C0 controls except TAB, DEL, C1 controls, and the Unicode bidi/format overrides that can
// reorder what a terminal shows.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;

/** Strip escape sequences, then replace any remaining control character by U+FFFD. */
export function sanitize(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(UNSAFE, '\ufffd');
}

// eslint-disable-next-line no-control-regex
const JSON_RAW = /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON.stringify escapes C0 controls but leaves DEL, C1 controls (U+009B is a one-byte CSI on
 * some terminals) and bidi overrides raw. They can only sit inside JSON strings, so writing them
 * as `\u` escapes keeps the value and makes the text safe to print.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(JSON_RAW, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
