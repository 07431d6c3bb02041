"""The v3 import: `run.import_v3` reads, maps and writes; `reconcile` checks the books after."""
