"""wikipoll's data contract: the pandera models that define, validate and document the warehouse."""

from schemas.warehouse import WAREHOUSE_TABLES

__all__ = ["WAREHOUSE_TABLES"]
