"""wikipoll's pipeline, one package per stage, in the order the data goes through them.

    read/    raw files, dump pages and fetched pages -> `Article`s (sections, tables, cells)
    shape/   tables and rows classified, values and dates read, rows aligned -> records
    check/   records validated against the contract, routed by severity -> frames, findings
    load/    frames -> the DuckDB warehouse, in one transaction
    run/     the Prefect flow, batches and worker processes that run the stages above

Below them: `article` (what an article is), `records` (the run a batch is read for),
`vocabulary` (the header words), and `schemas/` beside this package (the contract and the check
registry). `cli` is the `wikipoll` command; `report` and `contract` read the warehouse and the
contract for people.
"""
