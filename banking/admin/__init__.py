"""Banking admin: every action calls a service; accounts are masked; files, returns and audit are read-only."""

from banking.admin import batches, mandates, records

__all__ = ["batches", "mandates", "records"]
