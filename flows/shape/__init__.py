"""Stage 2, shape: what each table, column and row is, and the records they give.

`tables` types columns from their cells and gives each table a kind, `rows` says what each row is,
`align` realigns shifted rows, `values` and `dates` read cells strictly, and `records` turns rows
into polls, results, events and rows kept aside (`errors` holds `RowRejected`).
"""
