"""v3's direct-debit transactions (`payment_transactions`): the customers' bank accounts v3 held, for review.

v3 has no mandates and keeps account numbers only in its transactions (with the bank code of their batch).
Each becomes a `V3DebitAccount`, the number encrypted as banking encrypts ours. A bank code or account number
that is not one is imported as v3 held it, with its problem shown, never corrected; the exceptions report
names it with the number masked (the report is a file that leaves the database).
"""

import re
import unicodedata
from typing import Any

from banking.crypto import encrypt_account
from luckygas.masking import mask_account
from v3import.models import V3DebitAccount
from v3import.services import mapping
from v3import.services.context import Context
from v3import.services.upsert import upsert

# A bank (3 digits) or a bank and branch (7 digits); an account number: up to 16 digits (ACH's field).
BANK_CODE = re.compile(r"\d{3}|\d{7}")
ACCOUNT = re.compile(r"\d{1,16}")
SEPARATORS = re.compile(r"[\s-]")


def payment_transactions(rows: list[dict[str, Any]], context: Context) -> None:
    issues = context.issues
    batch = []
    for row in rows:
        legacy_id = row["id"]
        customer_id = context.customer_or_report("payment_transactions", row)
        if customer_id is None:
            continue
        problems = []
        bank_code = unicodedata.normalize("NFKC", mapping.clean_text(row["bank_code"]))
        if not BANK_CODE.fullmatch(bank_code):
            problems.append("not a bank code")
            issues.add("payment_transactions", legacy_id, "bank_code", bank_code, "not a bank code; for review")
        raw_account = mapping.clean_text(row["account_number"])
        account = SEPARATORS.sub("", unicodedata.normalize("NFKC", raw_account))
        if not ACCOUNT.fullmatch(account):
            problems.append("not a bank account number")
            issues.add(
                "payment_transactions",
                legacy_id,
                "account_number",
                mask_account(raw_account) or "****",
                "not a bank account number; for review",
            )
            account = raw_account  # kept as v3 held it, encrypted
        holder = mapping.clean_text(row["account_holder"])
        if not holder:
            problems.append("no account holder")
            issues.add("payment_transactions", legacy_id, "account_holder", "", "no account holder; for review")
        batch.append(
            (
                legacy_id,
                customer_id,
                bank_code[:10],
                # Our encryption takes ASCII: anything else is kept escaped (\\uXXXX), as v3 held it.
                encrypt_account(account if account.isascii() else account.encode("unicode_escape").decode("ascii")),
                account[-4:] if ACCOUNT.fullmatch(account) else "",
                holder[:100],
                mapping.whole_twd(
                    row["amount"],
                    table="payment_transactions",
                    legacy_id=legacy_id,
                    field_name="amount",
                    issues=issues,
                ),
                mapping.local_date(row["scheduled_date"]),
                mapping.clean_text(row["status"])[:20],
                "; ".join(problems),
                mapping.jsonable(
                    row,
                    ["transaction_id", "batch_id", "invoice_id", "bank_reference", "bank_response_code", "created_at"],
                ),
            )
        )
    written = upsert(
        V3DebitAccount,
        [
            "legacy_id",
            "customer",
            "bank_code",
            "account_encrypted",
            "account_last4",
            "holder_name",
            "amount",
            "scheduled_on",
            "v3_status",
            "problem",
            "legacy",
        ],
        batch,
    )
    context.count("payment_transactions", len(written))
