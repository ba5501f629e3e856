"""Stage 1, read: raw files, dump pages and fetched pages into `Article`s.

`files` reads and refuses files, `flattened` and `wikitext` read the two input forms, `markup` and
`fast_markup` turn a cell's markup into its text, `sources`, `dumps` and `fetch` are where texts
come from, and `errors` holds `ArticleError`, the refusal of a whole file.
"""
