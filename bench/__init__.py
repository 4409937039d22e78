"""Benchmarks: speed figures as ratios against a peer measured in the same run."""
