"""Banking's Prometheus metrics, exported on /metrics (deploy/base/monitoring.yaml alerts on them).

Uploads run in the Celery workers of the banking queue, which Prometheus does not scrape, so a
counter in their memory would never reach the alert. The append-only audit chain already records
every SFTP upload attempt with its bank and result, so the web process counts them from there at
scrape time: the series is monotonic (audit records are never deleted) and the same in every pod.
"""

from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count, Q
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

# Audit actions of an SFTP upload attempt, by result.
DELIVERED = Q(action="batch.uploaded", details__method="sftp") | Q(action="mandate_file.uploaded")
FAILED = Q(action__in=["upload.failed", "mandate_file.upload_failed"])


def _family() -> CounterMetricFamily:
    return CounterMetricFamily(
        "luckygas_bank_uploads",
        "Bank file uploads by SFTP, by bank and result (delivered or failed).",
        labels=["bank", "result"],
    )


class BankUploadsCollector(Collector):
    def describe(self) -> Iterator[CounterMetricFamily]:
        yield _family()  # registering must not query the database at startup

    def collect(self) -> Iterator[CounterMetricFamily]:
        from banking.models import AuditRecord

        family = _family()
        try:
            rows = list(
                AuditRecord.objects.filter(DELIVERED | FAILED)
                .values("bank_code")
                .annotate(delivered=Count("id", filter=DELIVERED), failed=Count("id", filter=FAILED))
                .order_by("bank_code")
            )
        except DatabaseError:
            return  # readiness reports the database; a scrape never fails because of it
        for row in rows:
            family.add_metric([row["bank_code"], "delivered"], row["delivered"])
            family.add_metric([row["bank_code"], "failed"], row["failed"])
        yield family


_collector: BankUploadsCollector | None = None


def register_collector() -> None:
    """Serve the collector on /metrics once (single-process and multiprocess mode)."""
    global _collector
    if _collector is None:
        from luckygas.metrics import register_scrape_time_collector

        _collector = BankUploadsCollector()
        register_scrape_time_collector(_collector)
