"""Hypothesis strategies for what an attacker or a broken phone sends.

Text that databases, hashes and encoders choke on (NUL, lone surrogates, bidi and zero-width
marks, emoji, 10,000-character strings), numbers outside every column (2**63, 10**30, negatives,
NaN and Infinity where integers belong), deep nesting, wrong content types, invalid UTF-8 and
empty bodies.
"""

import json
import math
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

NASTY_STRINGS = [
    "a\x00b",
    "\x00",
    "\ud83d",  # a lone high surrogate: an emoji cut in half by a phone
    "note \udc00 tail",
    "🚚🔥👨‍👩‍👧‍👦",
    "\u202eevil\u202c",  # right-to-left override
    "\u200f\u200e\u061c",
    "a\u200bb\u200c\u200d\ufeff",
    "x" * 10_000,
    "測" * 10_000,
    "",
    " ",
    "\r\n\t",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%s%n{0}{{}}",
    "../../etc/passwd",
    "NaN",
    "Infinity",
    "-1",
    "9223372036854775808",
    "1e309",
    "0x10",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "2026-13-01T25:61:61+99:00",
]
NASTY_NUMBERS: list[Any] = [
    2**63,
    -(2**63) - 1,
    10**30,
    -(10**30),
    -1,
    0,
    1.5,
    -0.0,
    1e308,
    True,
    False,
]
# Python's json writes these as the bare tokens NaN / Infinity, which strict parsers refuse.
NON_FINITE = [float("nan"), float("inf"), float("-inf")]

text_with_surrogates = st.text(
    alphabet=st.characters(codec=None, categories=["Cs", "Cc", "Cf", "So", "Lo", "Zs", "Nd"]), max_size=40
)
hostile_text = st.one_of(st.sampled_from(NASTY_STRINGS), text_with_surrogates)
hostile_number = st.one_of(
    st.sampled_from(NASTY_NUMBERS + NON_FINITE), st.integers(min_value=-(10**40), max_value=10**40)
)
hostile_scalar = st.one_of(hostile_text, hostile_number, st.none())
hostile_value = st.recursive(
    hostile_scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.sampled_from(["", "a", "\x00", "id"]), children, max_size=3)
    ),
    max_leaves=6,
)


def deep_nesting(depth: int = 5_000, *, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


def encode_json(value: Any, *, escaped: bool = False) -> bytes:
    """JSON as a client sends it: raw UTF-8 (lone surrogates become invalid bytes), or escaped as
    a browser's JSON.stringify writes them (\\ud83d, valid JSON text naming an invalid character)."""
    if escaped:
        # JSON.stringify writes NaN and ±Infinity as null; a browser never sends them.
        return json.dumps(_browser_numbers(value), ensure_ascii=True).encode()
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _browser_numbers(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _browser_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_browser_numbers(item) for item in value]
    return value


def hostile_json_object(field_names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with the endpoint's own field names (and one stranger), each holding hostile values."""
    names = sorted(set(field_names) | {"unexpected"})
    return st.dictionaries(st.sampled_from(names), hostile_value, min_size=1, max_size=len(names))


RAW_BODIES: list[tuple[str, bytes]] = [
    ("application/json", b""),
    ("application/json", b"{"),
    ("application/json", b"\xff\xfe\xfd"),
    ("application/json", b'{"a": "\xed\xa0\xbd"}'),  # a surrogate encoded as UTF-8 bytes
    ("application/json", b"null"),
    ("application/json", b"[]"),
    ("application/json", b'"text"'),
    ("application/json", b"1e999999"),
    ("application/json", b'{"a": NaN, "b": Infinity}'),
    ("application/json", deep_nesting()),
    ("application/json", deep_nesting(opener='{"a":', closer="}")),
    ("text/plain", b'{"a": 1}'),
    ("application/xml", b"<a>1</a>"),
    ("application/x-www-form-urlencoded", b"a=%00&b=%ED%A0%BD&c=%FF"),
    ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
    ("multipart/form-data", b""),
]
raw_body = st.sampled_from(RAW_BODIES)


def form_value_bytes(value: Any) -> str:
    """A form value percent-encoded from its UTF-8 bytes, lone surrogates included."""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


def urlencoded(fields: dict[str, Any]) -> bytes:
    return "&".join(f"{quote(name)}={form_value_bytes(value)}" for name, value in fields.items()).encode()


def hostile_form(field_names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    names = sorted(set(field_names))
    return st.dictionaries(st.sampled_from(names), st.one_of(hostile_text, hostile_number), min_size=1)
