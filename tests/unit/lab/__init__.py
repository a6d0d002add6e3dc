"""Unit tests of the synthetic scenario generator, the evaluation and the baselines."""
