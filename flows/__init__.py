"""wikipoll's pipeline, one module per stage: parse, extract, normalize, validate, load.

`flows.pipeline` holds the Prefect flow that runs them; `flows.cli` is the `wikipoll` command.
"""
