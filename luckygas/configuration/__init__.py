"""Every environment variable the project reads, declared once (issue #19).

`luckygas/settings.py` reads each variable declared with `read_in=SETTINGS` exactly once, through
`Reader`, into a Django setting of the same name (apps read `django.conf.settings`). The few read
before Django starts (gunicorn's configuration) or by a library convention (OpenTelemetry) name the
module that reads them. The README's configuration table is generated from this list
(`make config-docs`); tests/project/test_configuration.py fails when the code reads a variable
not declared here, or when the README's table is stale.

Secrets come from `NAME` or from the file named by `NAME_FILE` (Kubernetes secret mounts).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import environ

SETTINGS = "luckygas/settings.py"
WEB, WORKER, BEAT, TICKER = "web", "worker", "beat", "ticker"
ALL = (WEB, WORKER, BEAT, TICKER)

# Kinds: how a value is parsed. The `sms_*` kinds keep the SMS settings' own parsing: values
# are stripped, and for numbers a blank value means the default.
KIND_TEXT = {
    "str": "text",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "list": "comma-separated list",
    "path": "path",
    "url": "URL",
    "sms_str": "text (stripped)",
    "sms_int": "integer (blank = default)",
    "sms_float": "number",
    "sms_time": "time HH:MM",
    "sms_flag": "flag (`0`, `false`, `no` = off)",
}


@dataclass(frozen=True)
class Variable:
    name: str
    kind: str
    default: Any
    meaning: str
    processes: tuple[str, ...] = ALL
    secret: bool = False
    # Shown in the README when the default is computed (or None = shown from `default`).
    default_text: str | None = None
    read_in: str = SETTINGS

    @property
    def shown_default(self) -> str:
        if self.default_text is not None:
            return self.default_text
        if self.default in ("", None, []):
            return "empty"
        if isinstance(self.default, bool):
            return "on" if self.default else "off"
        if isinstance(self.default, list):
            return "`" + ",".join(self.default) + "`"
        return f"`{self.default}`"


def declare(name: str, kind: str, default: Any, meaning: str, **options: Any) -> Variable:
    if kind not in KIND_TEXT:
        raise ValueError(f"{name}: unknown kind {kind}")
    return Variable(name, kind, default, meaning, **options)


from luckygas.configuration.variables import VARIABLES  # noqa: E402 (needs Variable above)

BY_NAME: dict[str, Variable] = {variable.name: variable for variable in VARIABLES}
_DECLARED = object()


class Reader:
    """Reads declared variables with their declared kind and default; secrets also from `NAME_FILE`."""

    def __init__(self, env: environ.Env) -> None:
        self.env = env

    def secret(self, name: str, default: str | None = None) -> str | None:
        """`NAME`, or the contents of the file named by `NAME_FILE` (Kubernetes mounts)."""
        file_path = self.env.str(f"{name}_FILE", default="")
        if file_path:
            return Path(file_path).read_text(encoding="utf-8").strip()
        return self.env.str(name, default=default)

    def __call__(self, name: str, default: Any = _DECLARED) -> Any:
        variable = BY_NAME[name]
        if variable.read_in != SETTINGS:
            raise LookupError(f"{name} is declared as read in {variable.read_in}, not in the settings")
        if default is _DECLARED:
            default = variable.default
        if variable.secret:
            return self.secret(name, default=default)
        kind = variable.kind
        if kind.startswith("sms_"):
            return _sms_value(kind, self.env.ENVIRON.get(name), default)
        if kind == "url":
            kind = "str"
        return getattr(self.env, kind)(name, default=default)


def _sms_value(kind: str, raw: str | None, default: Any) -> Any:
    """The SMS settings' parsing: stripped text (set but empty stays empty); a blank integer is the default."""
    if kind == "sms_int":
        return int(raw) if raw is not None and raw.strip() else default
    text = (default if raw is None else raw).strip()
    if kind == "sms_str":
        return text
    if kind == "sms_float":
        return float(text)
    if kind == "sms_time":
        hours, minutes = text.split(":")
        return datetime.time(int(hours), int(minutes))
    if kind == "sms_flag":
        return text not in {"0", "false", "no"}
    raise ValueError(kind)


def read_again(*names: str) -> dict[str, Any]:
    """`names` read from the current environment as settings.py reads them (for test rigs that set both)."""
    reader = Reader(environ.Env())
    return {name: reader(name) for name in names}
