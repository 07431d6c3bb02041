"""Writes of the dashboard: rollup upkeep, exports, report subscriptions (one module each)."""

from dashboard.services.exports import (
    ExportFile,
    export_is_queued,
    export_job_create,
    export_job_run,
    export_jobs_recover,
    export_request,
    report_write_file,
)
from dashboard.services.rollups import (
    FINAL_ORDER_STATUSES,
    ROLLUP_COUNTERS,
    customer_rollup_refresh,
    local_day,
    rollup_rebuild,
    rollup_record_order_created,
    rollup_record_order_updated,
    rollup_record_status_changes,
)
from dashboard.services.subscriptions import (
    SCHEDULED_REPORT_TASK,
    report_period,
    report_subscription_delete,
    report_subscription_save,
    report_subscription_send,
)

__all__ = [
    "FINAL_ORDER_STATUSES",
    "ROLLUP_COUNTERS",
    "SCHEDULED_REPORT_TASK",
    "ExportFile",
    "customer_rollup_refresh",
    "export_is_queued",
    "export_job_create",
    "export_job_run",
    "export_jobs_recover",
    "export_request",
    "local_day",
    "report_period",
    "report_subscription_delete",
    "report_subscription_save",
    "report_subscription_send",
    "report_write_file",
    "rollup_rebuild",
    "rollup_record_order_created",
    "rollup_record_order_updated",
    "rollup_record_status_changes",
]
