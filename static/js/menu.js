/* The main menu on a narrow screen: a disclosure button (「メニュー」) shows and hides
   it. The button is a real <button> with aria-expanded, so Enter and Space work and
   screen readers say whether the menu is open; Escape closes it and gives the focus
   back to the button. Without this script the button stays hidden (portal.css) and
   the whole menu is shown, wrapped. On a wide screen the button is hidden and the
   menu always shown, whatever its state here. */
(function () {
  "use strict";

  function setUp(button) {
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    var header = button.closest(".site-header");
    if (!menu || !header) {
      return;
    }

    function isOpen() {
      return button.getAttribute("aria-expanded") === "true";
    }

    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("site-nav--open", open);
    }

    show(false);
    header.classList.add("site-header--foldable");

    button.addEventListener("click", function () {
      show(!isOpen());
    });

    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !isOpen()) {
        return;
      }
      var inside = menu.contains(document.activeElement) || document.activeElement === button;
      show(false);
      if (inside) {
        button.focus();
      }
    });
  }

  document.querySelectorAll("[data-menu-button]").forEach(setUp);
})();
