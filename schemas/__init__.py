"""wikipoll's data contract: the pandera models that define, validate and document the warehouse
(`schemas.warehouse`), and the registry of every check (`schemas.checks`).

Importing `schemas.warehouse` registers the custom row checks with pandera, which a contract read
back with `DataFrameSchema.from_yaml` / `from_json` needs. This package itself imports nothing, so
a command that only needs the check registry does not pay for pandas and pandera.
"""
