// A dump that stops mid-line (no final newline) may have lost the end of its last block: that
// block's binding is unknown, never "no driver" (issue 8), whatever form the block seemed to have.
import { describe, expect, it } from 'vitest';
import { parseInput } from '../../src/corpus/parse.js';
import { linuxhw } from './helpers.js';

const dump = linuxhw('desktop-hp-elitedesk-800-g3-sff');
const device = (text: string, bdf: string) => {
  const r = parseInput(text, dump.path);
  return { d: r.hosts[0]!.devices.find((x) => x.bdf === bdf)!, codes: r.diagnostics.filter((x) => x.code === 'truncated-block') };
};

describe('input cut in the middle of its last line', () => {
  const vga = dump.text.indexOf('00:02.0 VGA compatible controller');
  const whole = device(dump.text, '0000:00:02.0').d;

  it('the iGPU is bound to i915 in the whole dump', () => {
    expect(vga).toBeGreaterThan(0);
    expect([whole.driver, whole.driverKnown]).toEqual(['i915', true]);
  });

  it('cut before the block shows a verbose line (it looks like a short -k block): unknown, with a warning', () => {
    const sub = dump.text.indexOf('\tSubsystem: ', vga);
    const cut = dump.text.slice(0, dump.text.indexOf('\n', sub) - 5); // inside the Subsystem line
    const { d, codes } = device(cut, '0000:00:02.0');
    expect([d.driver, d.driverKnown]).toEqual([null, false]);
    expect(codes).toHaveLength(1);
  });

  it('cut inside `Kernel driver in use:` (half a name): unknown, not "i9"', () => {
    const at = dump.text.indexOf('Kernel driver in use: i915', vga);
    const { d, codes } = device(dump.text.slice(0, at + 'Kernel driver in use: i9'.length), '0000:00:02.0');
    expect([d.driver, d.driverKnown]).toEqual([null, false]);
    expect(codes).toHaveLength(1);
  });

  it('cut inside `Kernel modules:` (the driver line before it is whole): i915, no warning', () => {
    const at = dump.text.indexOf('Kernel modules: ', vga);
    const { d, codes } = device(dump.text.slice(0, at + 'Kernel modules: i'.length), '0000:00:02.0');
    expect([d.driver, d.driverKnown]).toEqual(['i915', true]);
    expect(codes).toHaveLength(0);
  });

  it('cut just after the indent of a line (`\\n\\t\\t`): not the blank line that ends a block, so unknown', () => {
    const at = dump.text.indexOf('\n\t\t', vga);
    expect(at).toBeLessThan(dump.text.indexOf('Kernel driver in use: i915', vga));
    const { d, codes } = device(dump.text.slice(0, at + 3), '0000:00:02.0');
    expect([d.driver, d.driverKnown]).toEqual([null, false]);
    expect(codes).toHaveLength(1);
  });

  it('the same text with its final newline is a whole block: i915 read as before', () => {
    const end = dump.text.indexOf('\n', dump.text.indexOf('Kernel driver in use: i915', vga));
    const { d } = device(dump.text.slice(0, end + 1), '0000:00:02.0');
    expect([d.driver, d.driverKnown]).toEqual(['i915', true]);
  });
});
