// Live figures while the corpus loads: files read, hosts judged, inputs skipped, throughput.

import { Box, Text } from 'ink';

export interface LoadProgress {
  files: number;
  hosts: number;
  skipped: number;
  bytes: number;
  elapsedMs: number;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

export function hostsPerSecond(p: LoadProgress): number {
  return p.elapsedMs > 0 ? (p.hosts * 1000) / p.elapsedMs : 0;
}

export function ProgressView({ progress, done }: { progress: LoadProgress | null; done?: boolean }) {
  const p = progress ?? { files: 0, hosts: 0, skipped: 0, bytes: 0, elapsedMs: 0 };
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold>{done ? 'Corpus read: ' : 'Reading corpus: '}</Text>
        {p.files} files, {p.hosts} hosts, {p.skipped} skipped, {formatBytes(p.bytes)}, {hostsPerSecond(p).toFixed(0)} hosts/s,{' '}
        {(p.elapsedMs / 1000).toFixed(1)} s
      </Text>
    </Box>
  );
}
