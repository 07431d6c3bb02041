"""Text that cannot be stored: NUL characters and lone UTF-16 surrogates.

PostgreSQL refuses NUL in text and JSON, and a lone surrogate (what a phone produces when it
cuts a string in the middle of an emoji) cannot be encoded as UTF-8 at all. Input holding
either is refused with the field named; what must be kept anyway (a refused driver action, for
the office to read) is kept in an escaped form that decodes back to exactly what was sent.
"""

import json
import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
ESCAPED_KEY = "unstorable_json"


def is_storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def unstorable_paths(value: Any, prefix: str = "") -> list[str]:
    """Dotted paths ("payload.text", "items.0") of every string, key or value, that can't be stored."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [(prefix, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if not is_storable(item):
                found.append(path or "non_field_errors")
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and not is_storable(key):
                    found.append(path or "non_field_errors")
                    child_path = f"{path}.?" if path else "?"
                stack.append((child_path, child))
        elif isinstance(item, list | tuple):
            stack.extend((f"{path}.{index}" if path else str(index), child) for index, child in enumerate(item))
    return sorted(set(found))


def storable_json(value: Any) -> Any:
    """`value` itself when every string in it can be stored; else {ESCAPED_KEY: its ASCII-escaped JSON}.

    `json.loads(result[ESCAPED_KEY])` gives back exactly the value sent: nothing is lost.
    """
    if not unstorable_paths(value):
        return value
    return {ESCAPED_KEY: json.dumps(value, ensure_ascii=True, sort_keys=True, default=str)}


def replace_unstorable(value: Any) -> Any:
    """A copy with every unstorable character replaced by U+FFFD, for messages that echo input."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {replace_unstorable(key): replace_unstorable(child) for key, child in value.items()}
    if isinstance(value, list | tuple):
        return [replace_unstorable(child) for child in value]
    return value


def utf8(text: str) -> bytes:
    """UTF-8 bytes of any str, lone surrogates included (for hashing what was sent, losslessly)."""
    return text.encode("utf-8", "surrogatepass")
