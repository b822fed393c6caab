"""`make bench`: the portal's figures against baselines measured in the same run (see README, "Benchmarks")."""
