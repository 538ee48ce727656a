"""channelsim's benchmarks: `python -m benchmarks` (or `make bench`). See BENCHMARKS.md."""
