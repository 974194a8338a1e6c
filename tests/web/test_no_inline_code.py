"""The Content-Security-Policy allows no inline script or style: no template may carry an inline
<script> (JSON data blocks aside), an event handler attribute (onclick=...), a javascript: URL,
a style="..." attribute or a <style> element. The browser test (test_browser_csp.py) checks the
rendered pages; this one checks every template, including those no test opens."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tenure

TEMPLATES = sorted(Path(tenure.__file__).parent.glob("**/templates/**/*.html"))
SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
FORBIDDEN = {
    "an event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "a style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "a <style> element": re.compile(r"<style\b", re.IGNORECASE),
}


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 30


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_inline_script_or_style(template):
    text = template.read_text()
    for match in SCRIPT.finditer(text):
        attributes = match.group(1)
        assert "src=" in attributes or 'type="application/json"' in attributes, (
            f"{template}: an inline <script>; move it to a file in static/web/"
        )
    for what, pattern in FORBIDDEN.items():
        found = pattern.search(text)
        assert found is None, f"{template}: {what} at {found.start() if found else 0}"


def test_the_checks_catch_what_they_look_for():
    assert FORBIDDEN["an event handler attribute"].search('<form onsubmit="return x()">')
    assert FORBIDDEN["a style attribute"].search('<span style="width: 5%">')
    assert FORBIDDEN["a javascript: URL"].search('<a href="javascript:void(0)">')
    assert not FORBIDDEN["an event handler attribute"].search('<input name="done">')
