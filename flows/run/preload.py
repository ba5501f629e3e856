"""Imported once by the fork server that starts the transform workers (see flows/run/workers.py).

Each worker is forked from that server, so whatever is ready there is ready in every worker: the
stages, pandas and pandera imported, and pandera's schemas built (pandera builds a schema lazily,
per thread: without this each worker would spend a fraction of a second on it first). Then the
garbage collector is told to leave these objects alone for good (`gc.freeze`): a worker's
collections no longer walk the whole inherited heap, which made parsing about 15% slower.
"""

import gc

from flows.run.workers import warm_up

warm_up()
gc.freeze()
