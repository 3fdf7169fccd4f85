// webmimic report: step-through navigation. Inlined into report.html and allowed by the page's
// Content-Security-Policy by hash only, so no other script (e.g. from agent output) can run.
// Hashes: #s-<i> opens session i, #s-<i>-<k> opens step k of it. Without JS every step shows.
(() => {
  document.documentElement.classList.add("js");
  const sessions = Array.from(document.querySelectorAll("section.session"));
  let current = sessions[0] || null;

  function steps(sec) { return Array.from(sec.querySelectorAll("article.step")); }

  function show(sec, k, updateHash) {
    const all = steps(sec);
    if (!all.length) return;
    k = Math.max(0, Math.min(all.length - 1, k));
    all.forEach((s, i) => s.classList.toggle("active", i === k));
    sec.querySelectorAll(".pip").forEach((p, i) => p.classList.toggle("current", i === k));
    const pos = sec.querySelector(".pos");
    if (pos) pos.textContent = (k + 1) + " / " + all.length;
    sec.dataset.current = String(k);
    current = sec;
    if (updateHash) history.replaceState(null, "", "#" + all[k].id);
  }

  function at(sec) { return Number(sec.dataset.current || 0); }

  function fromHash() {
    const m = /^#s-(\d+)(?:-(\d+))?$/.exec(location.hash);
    if (!m) return;
    const sec = document.getElementById("s-" + m[1]);
    if (!sec) return;
    show(sec, m[2] === undefined ? at(sec) : Number(m[2]) - 1, false);
  }

  for (const sec of sessions) {
    show(sec, 0, false);
    sec.addEventListener("click", (ev) => {
      const btn = ev.target.closest("button[data-nav]");
      if (btn) {
        const nav = btn.dataset.nav;
        if (nav === "all") {
          sec.classList.toggle("show-all");
          btn.textContent = sec.classList.contains("show-all") ? "one step at a time" : "show all steps";
          return;
        }
        show(sec, at(sec) + (nav === "next" ? 1 : -1), true);
        return;
      }
      const pip = ev.target.closest("a.pip");
      if (pip) show(sec, Number(pip.dataset.k) - 1, false);  // the link itself updates the hash
      current = sec;
    });
  }
  if (sessions.length) show(sessions[0], 0, false);
  window.addEventListener("hashchange", fromHash);
  fromHash();

  document.addEventListener("keydown", (ev) => {
    if (!current || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const tag = (ev.target && ev.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    if (ev.key === "ArrowRight" || ev.key === "j") show(current, at(current) + 1, true);
    else if (ev.key === "ArrowLeft" || ev.key === "k") show(current, at(current) - 1, true);
    else return;
    ev.preventDefault();
  });
})();
