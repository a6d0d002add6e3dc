"""Baseline matchers for the benchmark: a plain fuzzy-string matcher and Splink.

Import the modules themselves (`baselines.fuzzy`, `baselines.splink_baseline`); Splink is
only installed with the `bench` extra and is imported when its baseline runs.
"""
