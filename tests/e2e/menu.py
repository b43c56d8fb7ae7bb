"""The main menu in a browser test, whatever the width: on a phone it folds behind the
「メニュー」 button (static/js/menu.js), which this opens first."""

from __future__ import annotations


def main_menu(page, name: str = "メインメニュー"):
    """The main menu's navigation landmark, open."""
    page.wait_for_load_state("load")  # menu.js has run: a menu it folds is not taken for an open one
    button = page.locator("[data-menu-button]")
    if button.is_visible() and button.get_attribute("aria-expanded") != "true":
        button.click()
    return page.get_by_role("navigation", name=name)
