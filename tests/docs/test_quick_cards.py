"""The printable quick cards: one A4 page per role and language, made from the built site and served at /docs/."""

import io

import pytest
from pypdf import PdfReader

from docs_tools import quick_cards

CARDS = [(card.role, card.language) for card in quick_cards.cards(quick_cards.SITE_DIR)]
TITLES = {
    ("office", "zh-TW"): "快速卡：辦公室",
    ("driver", "zh-TW"): "快速卡：司機",
    ("manager", "zh-TW"): "快速卡：經理",
    ("finance", "zh-TW"): "快速卡：財務與管理員",
    ("office", "en"): "Quick card: office",
    ("driver", "en"): "Quick card: drivers",
    ("manager", "en"): "Quick card: managers",
    ("finance", "en"): "Quick card: finance and admins",
}


def _url(role: str, language: str, suffix: str) -> str:
    folder = "" if language == "zh-TW" else f"{language}/"
    return f"/docs/{folder}cards/{role}.{suffix}"


def _fonts(reader: PdfReader) -> set[str]:
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts


def test_every_role_has_a_card_in_both_languages():
    assert {(role, language) for role, language in CARDS} == set(TITLES)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "language"), CARDS)
def test_each_card_is_one_a4_page_in_noto_sans_cjk_tc_served_at_docs(client, role, language):
    response = client.get(_url(role, language, "pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (pytest.approx(595.28, abs=1), pytest.approx(841.89, abs=1))
    assert any("Noto-Sans-CJK-TC" in name for name in _fonts(reader)), _fonts(reader)
    text = reader.pages[0].extract_text()
    assert TITLES[role, language] in text
    assert "/docs/" in text  # where the full guide is


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "language"), CARDS)
def test_each_card_page_offers_its_pdf_and_the_training_page_lists_every_card(client, role, language):
    page = b"".join(client.get(_url(role, language, "html")).streaming_content).decode()
    assert f'href="{_url(role, language, "pdf")}"' in page
    training = b"".join(client.get(_url("x", language, "html").replace("cards/x", "training")).streaming_content)
    assert f'href="cards/{role}.html"' in training.decode()


def _site_with_card(tmp_path, body: str):
    site = tmp_path / "site"
    for card in quick_cards.cards(site):
        card.page.parent.mkdir(parents=True, exist_ok=True)
        card.page.write_text(
            f"<html><body><article><h1>{card.role}</h1>{body}</article></body></html>", encoding="utf-8"
        )
    return site


def test_a_card_that_grew_past_one_page_fails_the_build_naming_it(tmp_path, capsys):
    rows = "".join(f"<tr><td>第 {n} 件事</td><td>按這裡</td></tr>" for n in range(120))
    site = _site_with_card(tmp_path, f'<div class="quick-card"><table>{rows}</table></div>')
    assert quick_cards.main(["--site", str(site)]) == 1
    error = capsys.readouterr().err
    assert "quick card 'office'" in error
    assert "pages: shorten it to one" in error
    assert not list(site.rglob("*.pdf"))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("<p>沒有 quick-card 區塊</p>", "no title or no <div class='quick-card'> part"),
        ('<div class="note">別的區塊</div>', "no title or no <div class='quick-card'> part"),
    ],
)
def test_a_card_page_without_its_printable_part_fails_clearly(tmp_path, capsys, body, problem):
    site = _site_with_card(tmp_path, body)
    assert quick_cards.main(["--site", str(site)]) == 1
    assert problem in capsys.readouterr().err


def test_a_missing_card_page_names_the_markdown_file_to_write(tmp_path, capsys):
    assert quick_cards.main(["--site", str(tmp_path / "empty")]) == 1
    assert "docs/zh-TW/cards/office.md" in capsys.readouterr().err
