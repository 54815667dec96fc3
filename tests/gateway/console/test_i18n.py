"""The console's words: both catalogs complete, Vietnamese with its diacritics, the language
switch by ?lang= and its cookie."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.console.i18n import CATALOGS, LANG_COOKIE, Translator, choose_language
from gateway.core.model import DeliveryState
from tests.gateway.console.conftest import Console

TEMPLATES = Path(__file__).resolve().parents[3] / "gateway" / "console" / "templates"


def test_both_catalogs_have_every_key() -> None:
    """Vietnamese and English name the same keys, none empty."""
    assert set(CATALOGS["vi"]) == set(CATALOGS["en"])
    assert all(CATALOGS["vi"].values())
    assert all(CATALOGS["en"].values())


def test_states_read_in_vietnamese_with_diacritics() -> None:
    """Every copy state has its Vietnamese label (the issue's words)."""
    t = Translator("vi")
    assert {s.value: t.state(s) for s in DeliveryState} == {
        "queued": "Đang xếp hàng",
        "available": "Chờ nhận",
        "received": "Đã nhận",
        "failed": "Lỗi",
        "removed": "Đã gỡ",
        "forwarded": "Đã chuyển tiếp",
    }


def test_templates_only_use_keys_of_the_catalog() -> None:
    """Every literal ``t("key")`` in a template names a catalog key (no text scattered there)."""
    used: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        used.update(re.findall(r"""\bt\(["']([a-z0-9_.]+)["']\)""", template.read_text("utf-8")))
    assert used
    assert used - set(CATALOGS["vi"]) == set()


def test_language_choice() -> None:
    """?lang= wins, then the cookie, else Vietnamese."""
    assert choose_language(None, None) == "vi"
    assert choose_language("en", "vi") == "en"
    assert choose_language(None, "en") == "en"
    assert choose_language("fr", None) == "vi"


async def test_the_switch_answers_in_english_and_remembers_it(embedded_console: Console) -> None:
    """?lang=en renders the page in English and sets the language cookie for the next pages."""
    http = embedded_console.client()
    page = await http.get("/console/login?lang=en")
    assert 'lang="en"' in page.text
    assert "Sign in" in page.text
    assert f"{LANG_COOKIE}=en" in page.headers.get("set-cookie", "")
    again = await http.get("/console/login")
    assert "Password" in again.text


def test_every_audit_action_has_its_label() -> None:
    """Each audit action reads in both languages."""
    from gateway.core.actors import Action

    for language in ("vi", "en"):
        assert all(f"action.{a.value}" in CATALOGS[language] for a in Action)


def test_every_history_entry_has_its_label() -> None:
    """Each kind of a copy's history entry reads in both languages."""
    from gateway.core.model import EventKind

    for language in ("vi", "en"):
        assert all(f"event.{kind.value}" in CATALOGS[language] for kind in EventKind)
