"""An import run: tables in dependency order from one v3 snapshot, checkpointed per batch, then reconciled."""

import contextlib
import datetime
import logging
from collections.abc import Callable, Sequence

from django.db import reset_queries, transaction
from django.utils import timezone

from v3import.models import ImportException, ImportRun, RunStatus
from v3import.services import reconcile
from v3import.services.context import Context
from v3import.services.registry import TABLES
from v3import.source import V3Snapshot, masked

logger = logging.getLogger(__name__)


class DryRunRollback(Exception):
    """Raised at the end of a dry run to roll back everything it wrote."""


def _open_run(
    *, source: str, only: Sequence[str], since: datetime.datetime | None, dry_run: bool, restart: bool
) -> ImportRun:
    """The unfinished run with the same source and options, to continue; or a new run."""
    key = {"source": masked(source), "only": ",".join(only), "since": since, "is_dry_run": dry_run}
    if not dry_run and not restart:
        unfinished = ImportRun.objects.filter(status=RunStatus.RUNNING, **key).order_by("-started_at").first()
        if unfinished is not None:
            return unfinished
    return ImportRun.objects.create(**key)


def import_v3(
    *,
    source: str,
    only: Sequence[str] = (),
    since: datetime.datetime | None = None,
    dry_run: bool = False,
    restart: bool = False,
    batch_size: int = 5000,
    progress: Callable[[str], None] = lambda _message: None,
    stop_after_batches: int | None = None,
) -> ImportRun:
    """Import v3 into our tables (all, or those named in `only`, always in dependency order).

    Idempotent: rows are written by v3 id. An interrupted run is continued by the next call with the same
    options, after each table's last committed batch. `stop_after_batches` interrupts on purpose (tests).
    """
    unknown = set(only) - set(TABLES)
    if unknown:
        raise ValueError(f"unknown tables: {', '.join(sorted(unknown))}; known: {', '.join(TABLES)}")
    run = _open_run(source=source, only=only, since=since, dry_run=dry_run, restart=restart)
    selected = [name for name in TABLES if not only or name in only]
    context = Context()
    context.load_maps()
    batches = 0
    # A real run commits batch by batch (its checkpoints must survive an interruption); a dry run
    # runs in one transaction rolled back at the end, keeping only the run and what it found.
    outer = transaction.atomic() if dry_run else contextlib.nullcontext()
    found: list[ImportException] = []
    with V3Snapshot(source) as snapshot:
        try:
            with outer:
                for table in selected:
                    after = int(run.checkpoints.get(table, 0))
                    progress(f"{table}: from v3 id {after + 1}")
                    for rows in snapshot.batches(table, since=since, after_id=after, size=batch_size):
                        before = context.written.get(table, 0)
                        with transaction.atomic():
                            TABLES[table](rows, context)
                            recorded = _record(
                                run,
                                context,
                                table,
                                written=context.written.get(table, 0) - before,
                                last_id=rows[-1]["id"],
                            )
                            if dry_run:
                                # Kept only to be written again after the rollback; a real run's are
                                # committed with their batch (keeping them here grew memory with v3's size).
                                found.extend(recorded)
                        batches += 1
                        # With DEBUG on, Django keeps every query's SQL (up to 9,000, each a whole bulk
                        # statement here): hundreds of MB over a million rows. A request clears it; so does a batch.
                        reset_queries()
                        progress(f"{table}: {run.counts.get(table, 0):,} written, up to v3 id {rows[-1]['id']}")
                        if stop_after_batches is not None and batches >= stop_after_batches:
                            return run
                run.reconciliation = reconcile.reconcile(snapshot=snapshot, run=run, tables=selected, since=since)
                run.status = RunStatus.RECONCILED if run.reconciliation["agrees"] else RunStatus.DISAGREES
                run.finished_at = timezone.now()
                if dry_run:
                    raise DryRunRollback
                run.save(update_fields=["reconciliation", "status", "finished_at"])
        except DryRunRollback:
            ImportRun.objects.filter(pk=run.pk).update(
                status=RunStatus.DRY_RUN,
                finished_at=run.finished_at,
                counts=run.counts,
                reconciliation=run.reconciliation,
            )
            for exception in found:
                exception.pk = None
            ImportException.objects.bulk_create(found)
            run.refresh_from_db()
    logger.info("v3 import run %s: %s %s", run.pk, run.status, run.counts)
    return run


def _record(run: ImportRun, context: Context, table: str, *, written: int, last_id: int) -> list[ImportException]:
    """Commit what a batch found with the batch: its exceptions, its count and the checkpoint after it."""
    exceptions = ImportException.objects.bulk_create(
        ImportException(
            run=run,
            table=issue.table,
            legacy_id=issue.legacy_id,
            field=issue.field,
            value=issue.value,
            reason=issue.reason,
            is_imported=issue.is_imported,
        )
        for issue in context.issues.items
    )
    context.issues.items.clear()
    run.checkpoints = {**run.checkpoints, table: last_id}
    run.counts = {**run.counts, table: run.counts.get(table, 0) + written}
    run.save(update_fields=["checkpoints", "counts"])
    return exceptions
