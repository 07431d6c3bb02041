"""Every write of the banking app, one module per concern; import them from here.

- `mandates`: customer accounts and mandates: creation, cancel and change requests, replies applied
- `mandate_files`: the ACHP02 mandate file sent to the bank and the bank's replies imported
- `batches`: preparing (maker), approving (checker) and cancelling collection batches
- `files`: the batch's ACHP01, encrypted and signed; downloads for the bank portal
- `uploads`: SFTP delivery exactly once, or the manual portal path
- `returns`: ACHR01 return files, settlement once the return window closes, reconciliation
- `account_keys`: stored account numbers moved to the current key after a key rotation
"""

from banking.services.account_keys import ReencryptResult, bank_accounts_reencrypt
from banking.services.batches import PrepareResult, batch_approve, batch_cancel, batch_prepare
from banking.services.files import (
    BankKeyMissingError,
    bank_missing_secrets,
    batch_build_plain_file,
    batch_download_file,
    batch_file_name,
    batch_generate_file,
    transfer_file_plain,
)
from banking.services.mandate_files import (
    MANDATE_FILE_PREFIX,
    MandateReplyResult,
    mandate_file_build,
    mandate_file_prepare,
    mandate_file_upload,
    mandate_files_send,
    mandate_replies_fetch,
    mandate_replies_import,
)
from banking.services.mandates import (
    bank_account_create,
    mandate_create,
    mandate_errors,
    mandate_note_update,
    mandate_record_reply,
    mandate_request_cancel,
    mandate_request_change,
)
from banking.services.returns import (
    ImportResult,
    batch_returns_due_on,
    batch_settle,
    batches_flag_overdue_returns,
    masked,
    reconciliation_mark_emailed,
    returns_fetch,
    returns_import,
)
from banking.services.uploads import (
    bank_client,
    bank_endpoint,
    batch_mark_uploaded_manually,
    batch_upload,
)

__all__ = [
    "MANDATE_FILE_PREFIX",
    "BankKeyMissingError",
    "ImportResult",
    "MandateReplyResult",
    "PrepareResult",
    "ReencryptResult",
    "bank_account_create",
    "bank_accounts_reencrypt",
    "bank_client",
    "bank_endpoint",
    "bank_missing_secrets",
    "batch_approve",
    "batch_build_plain_file",
    "batch_cancel",
    "batch_download_file",
    "batch_file_name",
    "batch_generate_file",
    "batch_mark_uploaded_manually",
    "batch_prepare",
    "batch_returns_due_on",
    "batch_settle",
    "batch_upload",
    "batches_flag_overdue_returns",
    "mandate_create",
    "mandate_errors",
    "mandate_file_build",
    "mandate_file_prepare",
    "mandate_file_upload",
    "mandate_files_send",
    "mandate_note_update",
    "mandate_record_reply",
    "mandate_replies_fetch",
    "mandate_replies_import",
    "mandate_request_cancel",
    "mandate_request_change",
    "masked",
    "reconciliation_mark_emailed",
    "returns_fetch",
    "returns_import",
    "transfer_file_plain",
]
