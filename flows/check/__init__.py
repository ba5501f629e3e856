"""Stage 3, check: records validated against the contract and routed by severity.

`validate` runs the pandera checks (`schemas/warehouse.py`, whose checks are declared in
`schemas/checks.py`) and keeps every row accounted for; `summary` and `findings` show what was
found, for the run and for `wikipoll validate`.
"""
