"""Printable quick cards: one A4 page per role and language, made from the built guides site.

Each card is a page of the site (`docs/<lang>/cards/<role>.md`) whose `<div class="quick-card">` holds what goes
on paper. After `mkdocs build`, this script takes that part of every built card page, sets it on one A4 page in
Noto Sans CJK TC and writes the PDF beside the page (`build/root/docs/cards/office.pdf`,
`build/root/docs/en/cards/office.pdf`, …), where the page's download button points. A card that no longer fits
on one page fails the build, naming the card: shorten it.

    python -m docs_tools.quick_cards [--site build/root/docs]    # `make docs` runs it after mkdocs
"""

import argparse
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path

from lxml import html

ROOT = Path(__file__).resolve().parents[1]
SITE_DIR = ROOT / "build" / "root" / "docs"
ROLES = ("office", "driver", "manager", "finance")
LANGUAGES = {"zh-TW": "", "en": "en"}  # the site's folder per language (the default one is at the root)
FONT = "Noto Sans CJK TC"

STYLE = f"""
@page {{ size: A4; margin: 11mm 12mm 10mm; }}
html {{ font-family: "{FONT}", sans-serif; font-size: 10.5pt; line-height: 1.5; color: #1b1b1b; }}
h1 {{ font-size: 17pt; margin: 0 0 2.5mm; padding-bottom: 1.5mm; border-bottom: 1.2mm solid #e8590c; }}
p {{ margin: 1.3mm 0; }}
ol, ul {{ margin: 1mm 0 1.5mm; padding-left: 5.5mm; }}
li {{ margin: 0.6mm 0; }}
table {{ width: 100%; border-collapse: collapse; margin: 1.5mm 0 2.5mm; }}
th, td {{ border: 0.25mm solid #b8b8b8; padding: 1mm 1.6mm; vertical-align: top; text-align: left; }}
th {{ background: #fde7d9; }}
code {{ font-family: "{FONT}", monospace; background: #f2f2f2; padding: 0 0.8mm; }}
strong {{ color: #9a3412; }}
a {{ color: inherit; text-decoration: none; }}
.footer {{ margin-top: 3mm; font-size: 7.5pt; color: #666; }}
"""


class CardError(Exception):
    """A card page is missing, has no quick-card part, or does not fit on one page."""


@dataclass(frozen=True)
class Card:
    role: str
    language: str
    page: Path

    @property
    def pdf(self) -> Path:
        return self.page.with_suffix(".pdf")


def cards(site: Path) -> list[Card]:
    return [
        Card(role, language, site / folder / "cards" / f"{role}.html")
        for language, folder in LANGUAGES.items()
        for role in ROLES
    ]


def printable_html(card: Card) -> str:
    """The card's title and its quick-card part, alone on a page of our own (no theme, no navigation)."""
    if not card.page.exists():
        raise CardError(f"{card.page} is missing: is docs/{card.language}/cards/{card.role}.md there?")
    tree = html.fromstring(card.page.read_bytes())
    parts = tree.xpath('//div[contains(concat(" ", normalize-space(@class), " "), " quick-card ")]')
    titles = tree.xpath("//article//h1")
    if not parts or not titles:
        raise CardError(f"{card.page} has no title or no <div class='quick-card'> part to print")
    for anchor in tree.xpath("//article//a[contains(@class, 'headerlink')]"):
        anchor.drop_tree()
    title = escape(titles[0].text_content().strip())
    body = html.tostring(parts[0], encoding="unicode")
    footer = "完整說明見使用手冊 /docs/" if card.language == "zh-TW" else "Full guides at /docs/"
    return (
        f'<!doctype html><html lang="{card.language}"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{STYLE}</style></head><body><h1>{title}</h1>{body}"
        f"<p class='footer'>LuckyGas 幸福氣 · {footer}</p></body></html>"
    )


def write_pdf(card: Card) -> int:
    """Render one card; the number of pages (always 1, or CardError)."""
    from weasyprint import HTML  # Pango is needed only here, not to import this module

    document = HTML(string=printable_html(card), base_url=str(card.page.parent)).render()
    pages = len(document.pages)
    if pages != 1:
        raise CardError(f"the {card.language} quick card '{card.role}' takes {pages} pages: shorten it to one")
    document.write_pdf(card.pdf)
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=SITE_DIR, help="the built site (mkdocs' site_dir)")
    args = parser.parse_args(argv)
    try:
        made = [card for card in cards(args.site) if write_pdf(card)]
    except CardError as error:
        sys.stderr.write(f"quick cards: {error}\n")
        return 1
    except OSError as error:  # WeasyPrint without Pango: the guides still work, only the PDFs are missing
        sys.stderr.write(f"quick cards not made: WeasyPrint cannot run here ({error}); the card pages still print\n")
        return 0
    sys.stdout.write(f"quick cards: {len(made)} one-page PDFs in {args.site}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
