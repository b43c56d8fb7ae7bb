/* 領収書・明細書, 「1件のお支払いを選ぶ」: a filter over the payments <select> (grouped by
   month). Typing 「11/3」, 「3000」 or a card's name keeps only the payments that match
   every word (in the option's text, its month or its data-search words; full-width
   digits, commas and 円/¥ do not matter) and says how many are left. Without this
   script the filter stays hidden and the whole list, grouped by month, is there. */
(function () {
  "use strict";

  function normalise(text) {
    return (text || "").normalize("NFKC").toLowerCase().replace(/[,，円¥￥]/g, "");
  }

  function setUp(box) {
    var select = document.getElementById(box.getAttribute("data-payment-filter"));
    var input = box.querySelector("input[type=search]");
    var count = box.querySelector(".payment-filter__count");
    if (!select || !input || !count) {
      return;
    }
    // Every group and option as the server sent them; the select is rebuilt from these.
    var groups = Array.prototype.map.call(select.querySelectorAll("optgroup"), function (group) {
      return {
        label: group.label,
        options: Array.prototype.map.call(group.querySelectorAll("option"), function (option) {
          return {
            node: option,
            words: normalise(group.label + " " + option.textContent + " " + (option.getAttribute("data-search") || "")),
          };
        }),
      };
    });
    var total = groups.reduce(function (sum, group) { return sum + group.options.length; }, 0);

    function apply() {
      var terms = normalise(input.value).split(/\s+/).filter(Boolean);
      var chosen = select.value;
      var shown = 0;
      var fragment = document.createDocumentFragment();
      groups.forEach(function (group) {
        var matching = group.options.filter(function (option) {
          return terms.every(function (term) { return option.words.indexOf(term) !== -1; });
        });
        if (!matching.length) {
          return;
        }
        var optgroup = document.createElement("optgroup");
        optgroup.label = group.label;
        matching.forEach(function (option) { optgroup.appendChild(option.node); });
        fragment.appendChild(optgroup);
        shown += matching.length;
      });
      select.replaceChildren(fragment);
      if (chosen && select.querySelector('option[value="' + CSS.escape(chosen) + '"]')) {
        select.value = chosen;
      }
      select.disabled = shown === 0;
      if (!terms.length) {
        count.textContent = "";
      } else if (shown === 0) {
        count.textContent = box.getAttribute("data-none");
      } else {
        count.textContent = box.getAttribute("data-found").replace("{count}", String(shown));
      }
    }

    box.hidden = false;
    input.addEventListener("input", apply);
    input.addEventListener("keydown", function (event) {
      // Enter in the filter does not send the form: it takes the member to the list.
      if (event.key === "Enter") {
        event.preventDefault();
        select.focus();
      }
    });
    if (total < 2) {
      box.hidden = true;
    }
  }

  document.querySelectorAll("[data-payment-filter]").forEach(setUp);
})();
