// Preloaded (`node --import`) into the analyze process the benchmark runs: at exit, the process
// reports its own peak RSS (getrusage maxRSS: all threads, workers included) and CPU time on
// stderr, so nothing in the CLI itself has to know about the benchmark.

// The line format is read back by bench.ts (RSS_MARK there); this module exports nothing, so
// importing it anywhere else would be a mistake.
process.on('exit', () => {
  const r = process.resourceUsage();
  process.stderr.write(`vfio-impact-bench: maxrss_kib=${r.maxRSS} user_us=${r.userCPUTime} system_us=${r.systemCPUTime}\n`);
});
export {};
