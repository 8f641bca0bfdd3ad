"""English as the second language: the switch in the header, and a catalogue with nothing missing.

Chinese is the source language ({% translate "单位名录" %}, gettext("…")); English comes from
src/chanjiao/locale/en. The catalogue tests fail when a Chinese string is added without its
English, so run `django-admin makemessages -l en` and `compilemessages` (see docs) and translate.
"""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.utils import translation

from chanjiao.core.middleware import ChineseFirstLocaleMiddleware
from tests.conftest import PASSWORD, client_for

LOCALE_DIR = Path(settings.SRC_DIR) / "locale"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
EN_MO = EN_PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdfr]")


# --- the switch -------------------------------------------------------------------------------


def switch_to(client: Client, language: str) -> None:
    response = client.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert response.status_code == 302


def test_login_page_turns_english_and_back(db):
    # given a visitor on the Chinese login page
    client = Client()
    assert "登录您的账号" in client.get("/login/").content.decode()
    # when they press English
    switch_to(client, "en")
    # then the login page, its form labels and its errors are English
    html = client.get("/login/").content.decode()
    assert '<html lang="en">' in html
    assert "Log in to your account" in html
    assert "Username" in html
    assert "登录您的账号" not in html
    refused = client.post("/login/", {"username": "nobody", "password": "wrong"}).content.decode()
    assert "Wrong username or password" in refused
    # and 中文 brings Chinese back
    switch_to(client, "zh-hans")
    assert "登录您的账号" in client.get("/login/").content.decode()


def test_choice_sticks_across_pages_and_login(school_admin, school):
    # given a person who chose English before logging in
    client = Client()
    switch_to(client, "en")
    assert (
        client.post("/login/", {"username": school_admin.username, "password": PASSWORD}).status_code == 302
    )
    # then the home page speaks English: navigation, greeting, role and kind labels
    html = client.get("/").content.decode()
    assert "Organisation directory" in html
    assert "Hello, " in html
    assert "Organisation administrator" in html  # the role, from Role's choices
    assert "Unified social credit code (USCC)" in html
    assert "单位名录" not in html


def test_organisation_list_and_form_errors_in_english(province_officer, school):
    client = client_for(province_officer)
    switch_to(client, "en")
    listing = client.get("/organizations/").content.decode()
    assert "Organisation directory" in listing
    assert "New organisation" in listing
    assert ">School<" in listing  # OrgKind's label for the school's row
    # a service's refusal, shown at the field, is English too
    refused = client.post(
        "/organizations/new/", {"name": "Test", "kind": "school", "region": "340104", "uscc": "123"}
    ).content.decode()
    assert "A unified social credit code has 18 characters (currently 3)" in refused
    assert "School level is required" in refused


def test_api_messages_follow_accept_language(db):
    chinese = Client().get("/api/v1/me").json()["errors"][0]["message"]
    english = Client().get("/api/v1/me", headers={"accept-language": "en"}).json()["errors"][0]["message"]
    assert chinese == "请先登录或提供有效的 API 令牌"
    assert english == "Log in or send a valid API token first"


@pytest.mark.parametrize(
    ("cookie", "path", "accept", "expected"),
    [
        (None, "/login/", "en-US,en;q=0.9", "zh-hans"),  # an English browser still gets Chinese pages
        ("en", "/login/", "zh-CN", "en"),  # the switch decides
        ("zh-hans", "/login/", "en", "zh-hans"),
        (None, "/api/v1/me", "en", "en"),  # API clients may ask for English
    ],
)
def test_chinese_first_middleware(cookie, path, accept, expected):
    request = RequestFactory().get(path, headers={"accept-language": accept})
    if cookie:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    middleware = ChineseFirstLocaleMiddleware(lambda r: None)
    try:
        middleware.process_request(request)
        language = request.LANGUAGE_CODE
        assert language == expected
    finally:
        translation.activate(settings.LANGUAGE_CODE)


# --- the catalogue ----------------------------------------------------------------------------


def _unquote(line: str) -> str:
    body = re.match(r'^(?:msg\w+(?:\[\d\])?\s+)?"(.*)"$', line).group(1)
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: ctxt, id, plural, strs (list), flags. Enough for makemessages' output."""
    names = {"msgctxt": "ctxt", "msgid": "id", "msgid_plural": "plural"}
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry: dict = {"ctxt": None, "id": None, "plural": None, "strs": [], "flags": "", "obsolete": False}
        fields: list[tuple[str, list[str]]] = []  # (keyword, its quoted lines), in order
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#,"):
                entry["flags"] += line
            elif line.startswith("#"):
                continue
            elif m := re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?)\s", line):
                fields.append((m.group(1), [line]))
            elif fields:
                fields[-1][1].append(line)
        for keyword, lines in fields:
            value = "".join(_unquote(line) for line in lines)
            if keyword.startswith("msgstr"):
                entry["strs"].append(value)
            else:
                entry[names[keyword]] = value
        if entry["id"]:
            entries.append(entry)
    return entries


def test_every_english_message_is_translated():
    entries = read_po(EN_PO)
    assert len(entries) > 300
    untranslated = [e["id"] for e in entries if not e["obsolete"] and not all(s.strip() for s in e["strs"])]
    fuzzy = [e["id"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == [], f"translate these in {EN_PO.name}: {untranslated[:20]}"
    assert fuzzy == [], f"check these guesses and remove their fuzzy flag: {fuzzy[:20]}"


def test_translations_keep_their_placeholders():
    wrong = []
    for e in read_po(EN_PO):
        wanted = sorted(PLACEHOLDER.findall(e["id"]))
        for s in e["strs"]:
            if s and sorted(PLACEHOLDER.findall(s)) != wanted:
                wrong.append((e["id"], s))
    assert wrong == []


def test_compiled_catalogue_matches_the_po():
    # the .mo is committed, so a fresh machine needs no gettext tools: it must be compiled from this .po
    with EN_MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = []
    for e in read_po(EN_PO):
        if e["obsolete"] or not e["strs"][0]:
            continue  # untranslated: the test above names it
        if e["plural"] is not None:
            got = compiled.ngettext(e["id"], e["plural"], 1)
        elif e["ctxt"] is not None:
            got = compiled.pgettext(e["ctxt"], e["id"])
        else:
            got = compiled.gettext(e["id"])
        if got != e["strs"][0]:
            stale.append(e["id"])
    assert stale == [], f"run compilemessages: {stale[:10]}"


@pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msguniq")), reason="gettext tools not installed"
)
def test_no_string_in_the_code_lacks_its_english(tmp_path, monkeypatch):
    # given a copy of the code, extracted afresh the way `makemessages -l en` does
    source = Path(settings.SRC_DIR)
    copy = tmp_path / "chanjiao"
    shutil.copytree(
        source,
        copy,
        ignore=shutil.ignore_patterns("locale", "static", "node_modules", "__pycache__", "*.pyc"),
    )
    (copy / "locale").mkdir()
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=["en"], verbosity=0)
    fresh = {(e["ctxt"], e["id"]) for po in copy.rglob("en/LC_MESSAGES/django.po") for e in read_po(po)}
    # then every message in the code has an English translation in the committed catalogue
    translated = {(e["ctxt"], e["id"]) for e in read_po(EN_PO) if e["strs"] and all(e["strs"])}
    missing = sorted(m for c, m in fresh - translated)
    assert missing == [], f"new strings without English; run makemessages -l en and translate: {missing[:20]}"
