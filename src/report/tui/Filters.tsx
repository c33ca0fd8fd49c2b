// The active filters, each with the key that cycles it.

import { Text } from 'ink';
import type { Filters as FilterState } from './hostFilters.js';
import { show } from './show.js';

export function Filters({ filters }: { filters: FilterState }) {
  const on = (active: boolean) => (active ? 'yellow' : undefined);
  return (
    <Text wrap="truncate">
      <Text bold>Filters: </Text>
      <Text color={on(filters.scope !== 'all')}>scope {filters.scope}</Text>
      <Text dimColor> (s)</Text>
      {'  '}
      <Text color={on(filters.driver !== null)}>blocking driver {filters.driver === null ? 'any' : show(filters.driver)}</Text>
      <Text dimColor> (d)</Text>
      {'  '}
      <Text color={on(filters.vendor !== null)}>vendor {filters.vendor === null ? 'any' : show(filters.vendor)}</Text>
      <Text dimColor> (v)</Text>
    </Text>
  );
}
