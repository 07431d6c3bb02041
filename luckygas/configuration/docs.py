"""The README's configuration table, generated from the declaration (`make config-docs`).

`python -m luckygas.configuration.docs` rewrites the table in README.md between its two markers;
`--check` exits 1 when the README's table differs from the generated one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from luckygas.configuration import KIND_TEXT, SETTINGS, VARIABLES, Variable

README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN = "<!-- configuration table: generated from luckygas/configuration by `make config-docs`; do not edit -->"
END = "<!-- end of the configuration table -->"


def _row(variable: Variable) -> str:
    name = f"`{variable.name}`" + (" / `_FILE`" if variable.secret else "")
    where = "" if variable.read_in == SETTINGS else f" (read by `{variable.read_in}`)"
    cells = [
        name,
        KIND_TEXT[variable.kind],
        variable.shown_default,
        ", ".join(variable.processes) if len(variable.processes) < 4 else "all",
        "secret" if variable.secret else "",
        variable.meaning + where,
    ]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def table() -> str:
    lines = [
        "| variable | type | default | process | secret | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
        *(_row(variable) for variable in VARIABLES),
    ]
    return "\n".join(lines)


def readme_with_table(text: str) -> str:
    """`text` (the README) with the generated table between the markers."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + table() + "\n" + text[end:]


def main(argv: list[str]) -> int:
    current = README.read_text(encoding="utf-8")
    wanted = readme_with_table(current)
    if "--check" in argv:
        if current != wanted:
            sys.stderr.write("README.md's configuration table is stale: run `make config-docs`\n")
            return 1
        return 0
    if current != wanted:
        README.write_text(wanted, encoding="utf-8")
    sys.stdout.write(f"README.md: {len(VARIABLES)} variables\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
