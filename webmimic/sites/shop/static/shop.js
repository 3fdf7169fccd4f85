// webmimic mock shop: query suggestions under the search box, and selects that submit on change.
(function () {
  "use strict";
  function slug(text) {
    var s = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    s = s.replace(/[\s-]/g, " ").replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "_").replace(/^_+|_+$/g, "");
    return s || "item";
  }
  var input = document.querySelector('input[name="search_input"]');
  var list = document.getElementById("search-suggestions");
  if (input && list) {
    var latest = 0;
    var render = function (items) {
      list.textContent = "";
      items.forEach(function (it) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.setAttribute("name", it.name || "search_suggestions." + slug(it.term));
        a.setAttribute("href", it.url);
        a.textContent = it.term;
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
    };
    input.addEventListener("input", function () {
      var q = input.value;
      var ticket = ++latest;
      if (!q.trim()) { render([]); return; }
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q))
        .then(function (r) { return r.json(); })
        .then(function (data) { if (ticket === latest) render(data.suggestions || []); })
        .catch(function () { if (ticket === latest) render([]); });
    });
    input.addEventListener("keydown", function (e) { if (e.key === "Escape") render([]); });
    document.addEventListener("click", function (e) {
      if (!list.contains(e.target) && e.target !== input) list.hidden = true;
    });
  }
  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () {
      var nav = sel.dataset.nav;
      if (nav !== undefined) {
        location.href = nav + (nav.indexOf("?") >= 0 ? "&" : "?") + encodeURIComponent(sel.name) + "=" + encodeURIComponent(sel.value);
      } else if (sel.form) {
        if (sel.form.requestSubmit) sel.form.requestSubmit(); else sel.form.submit();
      }
    });
  });
})();
// Category mega-menus: open after a real pointer rests on a category link (hover intent), or
// on keyboard focus; close on leaving, Escape, or any press. A click on the link navigates
// before the menu ever opens.
(function () {
  "use strict";
  var bar = document.querySelector("[data-mega-menu]");
  if (!bar) return;
  var timer = 0, open = null;
  function panel(link) { return document.getElementById(link.getAttribute("aria-controls")); }
  function close() {
    clearTimeout(timer);
    if (open) { panel(open).hidden = true; open.setAttribute("aria-expanded", "false"); open = null; }
  }
  function show(link) {
    if (open === link) return;
    close();
    var p = panel(link);
    if (!p) return;
    p.hidden = false;
    link.setAttribute("aria-expanded", "true");
    open = link;
  }
  bar.querySelectorAll("a[aria-controls]").forEach(function (link) {
    link.addEventListener("mousemove", function (e) {
      if (open === link || (!e.movementX && !e.movementY)) return;
      clearTimeout(timer);
      timer = setTimeout(function () { show(link); }, 350);
    });
    link.addEventListener("focus", function () { if (link.matches(":focus-visible")) show(link); });
  });
  bar.addEventListener("mouseleave", close);
  document.addEventListener("pointerdown", function (e) { if (!open || !bar.contains(e.target)) close(); else clearTimeout(timer); }, true);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  bar.addEventListener("focusout", function (e) { if (!bar.contains(e.relatedTarget)) close(); });
})();
