// ink hands a run of plain characters that arrive in one read (typed ahead, sent by tmux or a
// paste, a held key under load) to useInput as one string: split it back into key presses.

import type { Key } from 'ink';

export interface KeyPress {
  input: string;
  key: Key;
}

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

export function splitKeys(input: string, key: Key): KeyPress[] {
  if (input.length <= 1 || key.ctrl || key.meta) return [{ input, key }];
  return [...input].map((ch) => ({
    input: ch,
    key: {
      ...NO_KEY,
      return: ch === '\r' || ch === '\n',
      backspace: ch === '\b',
      delete: ch === '\x7f',
      tab: ch === '\t',
      shift: /[A-Z]/.test(ch),
    },
  }));
}
