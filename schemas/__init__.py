"""wikipoll's data contract: the pandera models that define, validate and document the warehouse.

Importing this package registers the custom row checks with pandera, which a contract read back
with `DataFrameSchema.from_yaml` / `from_json` needs: without it pandera cannot find them.
"""

from schemas.warehouse import WAREHOUSE_TABLES

__all__ = ["WAREHOUSE_TABLES"]
