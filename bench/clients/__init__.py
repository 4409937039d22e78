"""The processes the benchmarks drive: load clients (one JSON command a line) and probes."""
