"""How v3's values become ours. Every value that cannot be taken as it was is reported, never guessed."""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

from luckygas.delivery.models import CustomerType, DeliverySlot, OrderStatus, PaymentMethod
from luckygas.delivery.validators import normalize_taiwan_phone

TAIPEI = ZoneInfo("Asia/Taipei")

CUSTOMER_TYPES = {
    "residential": CustomerType.HOUSEHOLD,
    "household": CustomerType.HOUSEHOLD,
    "commercial": CustomerType.COMMERCIAL,
    "industrial": CustomerType.INDUSTRIAL,
    "restaurant": CustomerType.RESTAURANT,
    "school": CustomerType.SCHOOL,
    "hospital": CustomerType.HOSPITAL,
}
# v3 stores SQLAlchemy enum names (upper case); older rows may hold the values.
ORDER_STATUSES = {
    "pending": OrderStatus.PENDING,
    "confirmed": OrderStatus.CONFIRMED,
    "assigned": OrderStatus.SCHEDULED,
    "in_delivery": OrderStatus.OUT_FOR_DELIVERY,
    "delivered": OrderStatus.DELIVERED,
    "cancelled": OrderStatus.CANCELLED,
}
PAYMENT_METHODS = {
    "cash": PaymentMethod.CASH,
    "現金": PaymentMethod.CASH,
    "credit": PaymentMethod.MONTHLY_INVOICE,
    "monthly": PaymentMethod.MONTHLY_INVOICE,
    "月結": PaymentMethod.MONTHLY_INVOICE,
    "transfer": PaymentMethod.DIRECT_DEBIT,
    "direct_debit": PaymentMethod.DIRECT_DEBIT,
}
# 臺 is the official form in city and county names; v3 holds both.
CITY_NAMES = re.compile(
    r"^(?P<city>[\u4e00-\u9fff]{2}[市縣])(?P<district>[\u4e00-\u9fff]{1,3}?[區鄉鎮市])(?P<rest>.+)$"
)


@dataclass
class Issue:
    table: str
    legacy_id: int
    field: str
    value: str
    reason: str
    is_imported: bool = True


@dataclass
class Issues:
    items: list[Issue] = field(default_factory=list)

    def add(
        self, table: str, legacy_id: int, field_name: str, value: Any, reason: str, *, imported: bool = True
    ) -> None:
        self.items.append(
            Issue(table, legacy_id, field_name, "" if value is None else str(value)[:1000], reason, imported)
        )


def clean_text(value: Any) -> str:
    """Trailing and leading spaces off, NUL and other control characters that PostgreSQL text refuses replaced."""
    if value is None:
        return ""
    return "".join(" " if unicodedata.category(ch) == "Cc" and ch not in "\n\t" else ch for ch in str(value)).strip()


def whole_twd(value: Any, *, table: str, legacy_id: int, field_name: str, issues: Issues) -> int:
    """A v3 float amount as whole TWD; a fraction or a negative amount is reported (the rounded value kept)."""
    if value is None:
        return 0
    amount = float(value)
    rounded = round(amount)
    if rounded != amount:
        issues.add(table, legacy_id, field_name, value, "amount has a fraction of a dollar; rounded")
    if rounded < 0:
        issues.add(table, legacy_id, field_name, value, "negative amount; kept as 0, the v3 value is in legacy")
        return 0
    return int(rounded)


def phone(value: Any, *, table: str, legacy_id: int, issues: Issues) -> str:
    raw = clean_text(value)
    if not raw:
        issues.add(table, legacy_id, "phone", raw, "no phone number")
        return ""
    candidate = unicodedata.normalize("NFKC", raw)
    try:
        return normalize_taiwan_phone(candidate)
    except ValidationError:
        # Our phone field stores only valid numbers (E.164): left empty, the v3 value is in legacy and the report.
        issues.add(table, legacy_id, "phone", raw, "not a valid Taiwan phone number; left empty for review")
        return ""


def split_address(value: Any, *, legacy_id: int, issues: Issues) -> tuple[str, str, str]:
    raw = clean_text(value)
    match = CITY_NAMES.match(unicodedata.normalize("NFKC", raw))
    if not match:
        issues.add("customers", legacy_id, "address", raw, "no city and district found; address kept whole")
        return "", "", raw[:200]
    city = match["city"].replace("台", "臺")
    rest = match["rest"].strip()
    if len(rest) > 200:
        issues.add("customers", legacy_id, "address", raw, "street address over 200 characters; cut, whole in legacy")
    return city, match["district"], rest[:200]


def slot_from(start: Any) -> str:
    text = clean_text(start)
    if not re.fullmatch(r"\d{1,2}:\d{2}", text):
        return DeliverySlot.ALL_DAY
    hour = int(text.split(":")[0])
    if hour < 12:
        return DeliverySlot.MORNING
    if hour < 17:
        return DeliverySlot.AFTERNOON
    return DeliverySlot.EVENING


def local_date(moment: datetime.datetime | None) -> datetime.date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(TAIPEI).date()


def aware(moment: datetime.datetime | None) -> datetime.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=datetime.UTC)


def jsonable(row: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in keys:
        value = row.get(key)
        out[key] = value.isoformat() if isinstance(value, datetime.date | datetime.datetime) else value
    return out
