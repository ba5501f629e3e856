"""Stage 4, load: the validated frames into the DuckDB warehouse, in one transaction.

`warehouse` creates the tables from the contract, replaces a run's articles and records the run.
"""
