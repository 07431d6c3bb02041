"""Template rendering, variant choice and the compliance checks on message text."""

import hashlib
import re
import string
from collections.abc import Mapping, Sequence
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sms import conf

T = TypeVar("T")

# Placeholders a template may use; the services fill them from the business event.
KNOWN_PLACEHOLDERS = frozenset(
    {
        "customer_name",
        "order_number",
        "delivery_date",
        "delivery_slot",
        "total_amount",
        "driver_name",
        "eta_minutes",
        "arrival_start",
        "arrival_end",
        "invoice_number",
        "amount",
        "due_date",
        "collection_date",
        "company_name",
        "company_phone",
        "link",
    }
)
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s，。]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:tw|com|net|org|cc|io|me|ly)(?:/[^\s，。]*)?", re.I
)
_PHONE = re.compile(r"(?<!\d)(?:\+?886[- ]?|0)\d(?:[- ]?\d){7,9}(?!\d)")


def placeholders(body: str) -> set[str]:
    try:
        return {name for _literal, name, _spec, _conv in string.Formatter().parse(body) if name is not None}
    except ValueError as error:
        raise ValidationError(
            {"body": _("The template has an unbalanced brace: %(error)s") % {"error": error}}
        ) from error


def validate_template_body(body: str) -> None:
    names = placeholders(body)
    unknown = sorted(name for name in names if name not in KNOWN_PLACEHOLDERS)
    if "" in names or unknown:
        raise ValidationError(
            {
                "body": _("Unknown placeholders: %(names)s. Allowed: %(allowed)s.")
                % {"names": ", ".join(unknown) or "{}", "allowed": ", ".join(sorted(KNOWN_PLACEHOLDERS))}
            }
        )


def render(body: str, context: Mapping[str, object]) -> str:
    """Fill the placeholders; an unknown or missing placeholder refuses to render."""
    validate_template_body(body)
    missing = sorted(name for name in placeholders(body) if name not in context)
    if missing:
        raise ValidationError({"context": _("Missing values for: %(names)s.") % {"names": ", ".join(missing)}})
    return body.format_map({name: context[name] for name in placeholders(body)})


def choose_variant(variants: Sequence[T], weights: Sequence[int], *, recipient_key: str, template_name: str) -> T:
    """The same recipient always gets the same variant of a template (weighted, deterministic)."""
    total = sum(weights)
    if not variants or total <= 0:
        raise ValidationError({"template": _("The template has no active variant.")})
    digest = hashlib.sha256(f"{template_name}:{recipient_key}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for variant, weight in zip(variants, weights, strict=True):
        if point < weight:
            return variant
        point -= weight
    return variants[-1]


def marketing_body(body: str) -> str:
    """Marketing text carries the company name and the opt-out text (PDPA art. 20, NDC guidelines)."""
    company = conf.company_name()
    opt_out = conf.marketing_opt_out_text()
    if company not in body:
        body = f"【{company}】{body}"
    if opt_out not in body:
        body = f"{body} {opt_out}"
    return body


def links_and_numbers(body: str) -> list[tuple[str, str]]:
    found = [("link", match.group()) for match in _LINK.finditer(body)]
    found += [("phone", re.sub(r"[- ]", "", match.group())) for match in _PHONE.finditer(body)]
    return found


def unregistered_links_and_numbers(body: str, *, links: Sequence[str], phones: Sequence[str]) -> list[str]:
    """Links and numbers not on the carrier-registered allowlist (blocked since November 2024)."""
    normalized_phones = {re.sub(r"\D", "", phone).removeprefix("886").lstrip("0") for phone in phones}
    problems = []
    for kind, value in links_and_numbers(body):
        if kind == "link":
            bare = re.sub(r"^https?://", "", value.lower())
            if not any(bare.startswith(re.sub(r"^https?://", "", link.lower())) for link in links):
                problems.append(value)
        elif re.sub(r"\D", "", value).removeprefix("886").lstrip("0") not in normalized_phones:
            problems.append(value)
    return problems
