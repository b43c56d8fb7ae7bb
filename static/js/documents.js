/* 領収書・明細書: while a document is being made (作成中), ask the server for
   its status and swap in the new status block when it changes. No page
   reloads; without JavaScript the 「最新の状態を表示する」 link does the same. */
(function () {
  "use strict";
  var FIRST_DELAY = 1500, MAX_DELAY = 10000, GIVE_UP_AFTER = 15 * 60 * 1000;

  function watch(block) {
    var url = block.getAttribute("data-status-url");
    var started = Date.now(), delay = FIRST_DELAY;
    block.classList.add("doc-status--live");

    function poll() {
      if (Date.now() - started > GIVE_UP_AFTER) { block.classList.remove("doc-status--live"); return; }
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
        .then(function (data) {
          if (data.in_progress) { later(); return; }
          var holder = document.createElement("div");
          holder.innerHTML = data.html;
          var fresh = holder.firstElementChild;
          block.replaceWith(fresh);
          var link = fresh.querySelector(".doc-download");
          if (link && document.activeElement === document.body) { link.focus({ preventScroll: true }); }
        })
        .catch(later);
    }

    function later() {
      window.setTimeout(poll, delay);
      delay = Math.min(MAX_DELAY, Math.round(delay * 1.5));
    }

    later();
  }

  document.querySelectorAll("[data-status-url]").forEach(watch);
})();
