import { describe, expect, it } from 'vitest';
import { formatAcsOverride, parseAcsOverride } from '../../src/topology/override.js';
import { CliError } from '../../src/cli/context.js';

describe('parseAcsOverride', () => {
  it('reads downstream, multifunction and id tokens, also as pasted from /proc/cmdline', () => {
    expect(parseAcsOverride('pcie_acs_override=downstream,multifunction,id:8086:1C10')).toEqual({
      downstream: true,
      multifunction: true,
      ids: [{ vendor: '8086', device: '1c10' }],
    });
    expect(formatAcsOverride(parseAcsOverride('id:10de:1b80,downstream'))).toBe('downstream,id:10de:1b80');
  });

  it('refuses a bad token with the token named', () => {
    expect(() => parseAcsOverride('downstream,upstream')).toThrow(CliError);
    expect(() => parseAcsOverride('downstream,upstream')).toThrow("bad token 'upstream'");
    expect(() => parseAcsOverride('id:8086')).toThrow("bad token 'id:8086'");
    expect(() => parseAcsOverride('')).toThrow(/empty value/);
  });

  it('refuses more id entries than the patch accepts', () => {
    const ids = Array.from({ length: 16 }, (_, i) => `id:8086:${(0x1000 + i).toString(16)}`).join(',');
    expect(() => parseAcsOverride(ids)).toThrow(/more than 15 id: entries/);
  });
});
