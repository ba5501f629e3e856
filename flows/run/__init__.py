"""Running the stages: the Prefect flow (`flow`), the batches it plans (`batches`), the worker
processes that read and check each batch under a time budget (`workers`, `preload`), and the
progress bar (`progress`).
"""
