// webmimic's visual-debugging overlay: outlines the human's target in green and the agent's in
// red, and shows both actions in a box. Evaluated by Playwright as one function taking a request:
//   {op: "show", sides: [{side, label, action, name}], note, scroll} -> {human: bool|null, agent: bool|null}
//   {op: "clear"}                                                    -> true
// The overlay must never change the simplified observation (simplify.js walks document.body):
// its host is appended to <html>, outside <body>, is aria-hidden (decoration to the walk even if
// some page moved it into body), and keeps its content in a shadow root with its own styles.
// Only textContent is ever set, so action text from an agent cannot inject markup.
(req) => {
  const HOST = "data-wm-overlay";
  const old = document.querySelectorAll("[" + HOST + "]");
  for (const el of old) el.remove();
  if (req.op === "clear") return true;
  if (req.op !== "show") throw new Error("webmimic overlay: unknown op " + req.op);

  function deepFind(root, selector) {
    const hit = root.querySelector(selector);
    if (hit) return hit;
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) {
        const inner = deepFind(el.shadowRoot, selector);
        if (inner) return inner;
      }
    }
    return null;
  }

  function findByName(name) {
    const W = window.__webmimic;
    const known = W && W.byName ? W.byName.get(name) : null;
    if (known && known.isConnected) return known;
    return deepFind(document, '[data-wm-name="' + CSS.escape(name) + '"]');
  }

  const host = document.createElement("div");
  host.setAttribute(HOST, "");
  host.setAttribute("aria-hidden", "true");
  host.style.cssText = "all: initial; position: absolute; left: 0; top: 0; width: 0; height: 0; " +
    "overflow: visible; z-index: 2147483647; pointer-events: none; cursor: default;";
  const root = host.attachShadow({mode: "open"});
  const style = document.createElement("style");
  style.textContent = `
    .box { position: absolute; box-sizing: border-box; border: 3px solid; border-radius: 3px; }
    .box.human { border-color: #16a34a; box-shadow: 0 0 0 2px rgba(22,163,74,.25); }
    .box.agent { border-color: #dc2626; border-style: dashed; box-shadow: 0 0 0 2px rgba(220,38,38,.25); }
    .tag { position: absolute; top: -1.5em; left: -3px; padding: 0 .4em; font: 600 11px/1.5em sans-serif;
           color: #fff; white-space: nowrap; border-radius: 3px 3px 0 0; }
    .human .tag { background: #16a34a; } .agent .tag { background: #dc2626; left: auto; right: -3px; }
    .panel { position: fixed; right: 12px; bottom: 12px; max-width: min(560px, 60vw); padding: 10px 12px;
             background: rgba(17,24,39,.93); color: #f9fafb; font: 13px/1.45 ui-monospace, monospace;
             border-radius: 8px; box-shadow: 0 4px 18px rgba(0,0,0,.35); }
    .row { margin: 2px 0; overflow-wrap: anywhere; }
    .who { display: inline-block; min-width: 4.2em; font-weight: 700; }
    .row.human .who { color: #4ade80; } .row.agent .who { color: #f87171; }
    .miss { color: #fbbf24; } .verdict { margin-top: 6px; font-weight: 700; }
    .verdict.same { color: #4ade80; } .verdict.diff { color: #f87171; }`;
  root.appendChild(style);

  const panel = document.createElement("div");
  panel.className = "panel";
  panel.setAttribute("data-wm-overlay-panel", "");
  const found = {human: null, agent: null};
  let first = null;

  for (const s of req.sides) {
    const row = document.createElement("div");
    row.className = "row " + s.side;
    row.setAttribute("data-wm-overlay-row", s.side);
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = s.label;
    row.appendChild(who);
    row.appendChild(document.createTextNode(s.action));
    if (s.name) {
      const el = findByName(s.name);
      found[s.side] = !!el;
      const rect = el ? el.getBoundingClientRect() : null;
      if (!el || !rect || (rect.width === 0 && rect.height === 0)) {
        const miss = document.createElement("div");
        miss.className = "miss";
        miss.setAttribute("data-wm-overlay-missing", s.side);
        miss.textContent = el ? "  element " + s.name + " is not visible" : "  no element named " + s.name + " on this page";
        row.appendChild(miss);
      } else {
        if (!first && s.side === "human") first = el;
        const box = document.createElement("div");
        box.className = "box " + s.side;
        box.setAttribute("data-wm-overlay-box", s.side);
        const pad = 3;
        box.style.left = (rect.left + window.scrollX - pad) + "px";
        box.style.top = (rect.top + window.scrollY - pad) + "px";
        box.style.width = (rect.width + 2 * pad) + "px";
        box.style.height = (rect.height + 2 * pad) + "px";
        const tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = s.label;
        box.appendChild(tag);
        root.appendChild(box);
      }
    }
    panel.appendChild(row);
  }
  if (req.note) {
    const v = document.createElement("div");
    v.className = "verdict " + (req.same ? "same" : "diff");
    v.setAttribute("data-wm-overlay-verdict", "");
    v.textContent = req.note;
    panel.appendChild(v);
  }
  root.appendChild(panel);
  document.documentElement.appendChild(host);

  if (req.scroll && first) {
    const r = first.getBoundingClientRect();
    if (r.bottom < 0 || r.top > innerHeight || r.right < 0 || r.left > innerWidth) {
      first.scrollIntoView({block: "center", inline: "nearest", behavior: "instant"});
    }
  }
  return found;
}
