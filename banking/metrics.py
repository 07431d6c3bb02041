"""Banking's Prometheus metrics, exported on /metrics (deploy/base/monitoring.yaml alerts on them)."""

from prometheus_client import Counter

# Every SFTP upload attempt of a bank file (collection batches and mandate files); the alert
# `BankUploadFailed` fires on any increase of result="failed".
BANK_UPLOADS = Counter(
    "luckygas_bank_uploads",
    "Bank file uploads by SFTP, by bank and result (delivered or failed).",
    labelnames=["bank", "result"],
)
