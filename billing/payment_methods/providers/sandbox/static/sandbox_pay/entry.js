// Sandbox Pay's card entry: as soon as the number's first digits (the BIN)
// tell its brand, ask the sandbox whether this shop takes that brand, and say
// so under the number before anything else is typed. The server refuses the
// same brand again when the form is sent (this only tells it earlier).
(function () {
  "use strict";
  var form = document.querySelector("form[data-brand-url]");
  var input = document.getElementById("card-number");
  var note = document.getElementById("card-number-brand");
  if (!form || !input || !note || !window.fetch) {
    return;
  }
  var BIN_LENGTH = 6;
  var asked = "";

  function describedBy(add) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && id !== note.id;
    });
    if (add) {
      ids.push(note.id);
    }
    if (ids.length) {
      input.setAttribute("aria-describedby", ids.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
  }

  function show(message) {
    note.textContent = message;
    note.hidden = !message;
    describedBy(Boolean(message));
    if (message) {
      input.setAttribute("aria-invalid", "true");
    } else if (!input.closest(".sp-field--error")) {
      input.removeAttribute("aria-invalid");
    }
  }

  function check() {
    var digits = input.value.replace(/[\s-]/g, "");
    if (!/^\d*$/.test(digits) || digits.length < BIN_LENGTH) {
      asked = "";
      show("");
      return;
    }
    var bin = digits.slice(0, BIN_LENGTH);
    if (bin === asked) {
      return;
    }
    asked = bin;
    fetch(form.dataset.brandUrl + "?bin=" + encodeURIComponent(bin), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (asked === bin) {
          show(answer && answer.accepted === false ? answer.message : "");
        }
      })
      .catch(function () {
        /* the server checks the brand when the form is sent */
      });
  }

  input.addEventListener("input", check);
  input.addEventListener("change", check);
  check(); // a number typed or filled in before this script ran
})();
