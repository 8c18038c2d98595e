"""Every string of ours is translated into Chinese, and the compiled catalogue is current."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_every_entry_is_translated():
    catalogue = polib.pofile(str(PO))
    assert len(catalogue) > 100
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    for entry in catalogue:
        if entry.msgid_plural:
            assert all(entry.msgstr_plural.values()), entry.msgid


def test_placeholders_survive_translation():
    import re

    pattern = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\w*\}")
    for entry in polib.pofile(str(PO)):
        if entry.msgstr:
            assert sorted(pattern.findall(entry.msgid)) == sorted(pattern.findall(entry.msgstr)), (
                entry.msgid
            )


def _translations(entries) -> dict[tuple[str | None, str], str]:
    return {
        (e.msgctxt, e.msgid): (e.msgstr_plural[0] if e.msgid_plural else e.msgstr)
        for e in entries
        if e.msgid and not e.obsolete
    }


def test_compiled_catalogue_matches_the_source():
    assert _translations(polib.mofile(str(MO))) == _translations(polib.pofile(str(PO)))


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_no_string_is_missing_from_the_catalogue(tmp_path):
    """makemessages over a copy of the code finds nothing the catalogue lacks."""
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "media",
            "staticfiles",
            "*.sqlite3*",
            "__pycache__",
            ".pytest_cache",
            ".hypothesis",
        ),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "zh_Hans", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(copy)},
    )
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))}
    ours = {e.msgid for e in polib.pofile(str(PO))}
    assert sorted(fresh - ours) == []
