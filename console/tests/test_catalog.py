"""The zh_Hans catalog is complete, not fuzzy, compiled, and in step with the code."""

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

CATALOG = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = CATALOG / "django.po"
MO = CATALOG / "django.mo"


def _entries(catalog) -> dict[tuple[str, str], str]:
    return {
        (entry.msgctxt or "", entry.msgid): entry.msgstr or entry.msgstr_plural.get(0, "")
        for entry in catalog
        if not entry.obsolete and entry.msgid
    }


def test_every_message_is_translated_and_none_is_fuzzy():
    catalog = polib.pofile(str(PO))
    assert not catalog.metadata_is_fuzzy
    assert [e.msgid for e in catalog.untranslated_entries()] == []
    assert [e.msgid for e in catalog.fuzzy_entries()] == []
    assert len(catalog) > 0


def test_translations_keep_their_placeholders():
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    for entry in polib.pofile(str(PO)):
        translated = entry.msgstr or entry.msgstr_plural.get(0, "")
        assert sorted(set(placeholder.findall(entry.msgid))) == sorted(
            set(placeholder.findall(translated))
        ), entry.msgid


def test_compiled_catalog_is_not_stale():
    """The committed .mo holds exactly what the .po says (run `make messages` after editing)."""
    assert _entries(polib.mofile(str(MO))) == _entries(polib.pofile(str(PO)))


def test_makemessages_finds_nothing_new():
    """Every translatable string in the code is in the catalog, and the catalog has nothing the
    code no longer uses. makemessages writes into locale/ (it finds the folder from the working
    directory), so the committed catalog is put back afterwards. Needs xgettext; CI installs
    gettext."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("xgettext is missing in CI (apt-get install -y gettext)")
        pytest.skip("xgettext is missing (apt-get install -y gettext)")
    committed = PO.read_bytes()
    cwd = os.getcwd()
    os.chdir(settings.BASE_DIR)
    try:
        call_command("makemessages", verbosity=0)
        fresh = polib.pofile(str(PO))
    finally:
        os.chdir(cwd)
        PO.write_bytes(committed)
    assert set(_entries(fresh)) == set(_entries(polib.pofile(str(PO))))
