import { render } from 'ink-testing-library';
import { describe, expect, test } from 'vitest';
import { Filters } from '../../../src/report/tui/Filters.js';
import { NO_FILTERS } from '../../../src/report/tui/hostFilters.js';

describe('Filters', () => {
  test('shows each filter with the key that cycles it', () => {
    expect(render(<Filters filters={NO_FILTERS} />).lastFrame()).toBe(
      'Filters: scope all (s)  blocking driver any (d)  vendor any (v)',
    );
  });

  test('shows the active values, sanitized', () => {
    const frame = render(<Filters filters={{ scope: 'potential', driver: 'yenta\x1b[31m_cardbus', vendor: 'Dell' }} />).lastFrame();
    expect(frame).toBe('Filters: scope potential (s)  blocking driver yenta_cardbus (d)  vendor Dell (v)');
  });
});
