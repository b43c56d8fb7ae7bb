"""WCAG 2.2 A/AA in the browser: axe-core (from npm, `make test`) through the
`axe_check` fixture of conftest.py."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]

BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>
<h1>Broken</h1>
<ul role="status" class="messages"><li>Saved.</li></ul>
<label>Name <input id="name" aria-describedby="name-error"></label>
<p style="color:#ffb000;background:#fff">Pale text</p>
</main></body></html>"""

FIXED = """<!doctype html><html lang="en"><head><title>Fixed</title></head><body><main>
<h1>Fixed</h1>
<div role="status"><p>Saved.</p></div>
<label>Name <input id="name"></label>
<p style="color:#222;background:#fff">Dark text</p>
</main></body></html>"""


def test_axe_check_names_each_rule_its_help_and_the_elements(page, axe_check):
    page.set_content(BROKEN)
    with pytest.raises(pytest.fail.Exception) as failure:
        axe_check(page, where="the broken page")
    message = str(failure.value)
    assert "on the broken page" in message
    assert "- listitem (serious): <li> elements must be contained in a <ul> or <ol>" in message
    assert "at li: <li>Saved.</li>" in message
    assert "insufficient color contrast of 1.83" in message
    assert "- color-contrast (serious)" in message
    assert "https://dequeuniversity.com/rules/axe/" in message


def test_axe_check_passes_a_page_without_violations(page, axe_check):
    page.set_content(FIXED)
    axe_check(page)
