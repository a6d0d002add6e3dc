"""What evaluates rather than serves: scenario generator, baselines, evaluation, weight fitting
and benchmarks. No running service imports this package."""
