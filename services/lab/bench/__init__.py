"""`kinlink bench` / `make bench`: speed, memory and matching-quality benchmarks.

Every timing is printed beside a reference measured in the same run, as a ratio, because the
machines that run it are noisy. Nothing here passes or fails on time.
"""
