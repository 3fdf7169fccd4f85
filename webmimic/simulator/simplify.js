// webmimic's in-page walk: turns the live, rendered DOM into the paper's simplified HTML and
// names every interactive element. Evaluated by Playwright as one function taking a request:
//   {op: "observe", raw: bool}  -> {url, title, html, names, status, rawBytes}
//   {op: "resolve", name}       -> facts about the element carrying that name (for acting)
//   {op: "focus", name}         -> whether that element took the focus, its text selected
//   {op: "settle", budget: ms, leave: bool}
//                               -> (promise) once an animation frame passes with no DOM change:
//                                  {quiet: true, ...observe}; {quiet: false} if budget ran out first;
//                                  with leave, {leaving: true} as soon as this document started
//                                  loading another one (the caller waits for it, then asks again)
// Names are marked on the live elements as data-wm-name so Playwright can find them by CSS.
(req) => {
  const W = window.__webmimic || (window.__webmimic = {
    muts: 0, namedAt: -1, href: null, byName: new Map(), gone: new Map(),
    observer: null, observed: new WeakSet(),
  });
  const MARK = "data-wm-name";
  if (!W.watchesNavigation && window.navigation) {
    // A click or Enter that loads another document leaves this one alive until the new one
    // commits: settle must not take it for the action's result. Downloads and same-document
    // navigations replace nothing; one a listener prevented or intercepted neither.
    W.watchesNavigation = true;
    navigation.addEventListener("navigate", (e) => {
      if (!e.destination.sameDocument && !e.downloadRequest) W.leaving = e;
    });
    const stays = () => { W.leaving = null; };
    navigation.addEventListener("navigatesuccess", stays);
    navigation.addEventListener("navigateerror", stays);
  }
  function leaving() {  // reported once: a load that ends without a new document leaves this one
    const e = W.leaving;
    W.leaving = null;
    return !!e && !e.defaultPrevented && !navigation.transition;
  }
  const PAPER = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/;

  function watch(root) {
    if (!W.observer) {
      W.observer = new MutationObserver((records) => {
        for (const r of records) {
          if (r.type !== "attributes" || r.attributeName !== MARK) { W.muts++; return; }
        }
      });
    }
    if (W.observed.has(root)) return;
    W.observed.add(root);
    W.observer.observe(root, {subtree: true, childList: true, attributes: true, characterData: true});
  }
  watch(document);

  // ---------------------------------------------------------------- slugs
  // Identical to webmimic.sites.naming.slugify: NFKD, drop combining marks, lower-case, each
  // whitespace char (Python's str.isspace set) or hyphen -> one "_", drop all but [a-z0-9_],
  // strip "_" at the ends; empty -> "item". ASCII-only, so every name stays in paper format.
  const SPACE = /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\-]/g;
  function slugify(text) {
    const s = String(text).normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase()
      .replace(SPACE, " ")
      .replace(/[^a-z0-9 _]/g, "")
      .replace(/ /g, "_")
      .replace(/^_+|_+$/g, "");
    return s || "item";
  }
  if (req.op === "slugify") return req.texts.map(slugify);
  const MAX_SLUG = 80;
  function shortSlug(text) {
    let s = slugify(text);
    if (s.length > MAX_SLUG) {
      const cut = s.lastIndexOf("_", MAX_SLUG);
      s = s.slice(0, cut > 20 ? cut : MAX_SLUG).replace(/_+$/, "");
    }
    return s;
  }

  // ---------------------------------------------------------------- the walk
  const DROP = new Set(["SCRIPT", "STYLE", "LINK", "META", "TEMPLATE", "NOSCRIPT", "IFRAME", "FRAME",
    "FRAMESET", "OBJECT", "EMBED", "HEAD", "TITLE", "BASE", "CANVAS", "AUDIO", "VIDEO", "SOURCE",
    "TRACK", "MAP", "AREA", "PARAM", "HR", "DATALIST"]);
  // Tags kept as they are; anything else is a generic wrapper (emitted as div, or unwrapped).
  const KEEP = new Set(["a", "button", "input", "select", "option", "optgroup", "textarea", "label",
    "form", "fieldset", "legend", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody",
    "tfoot", "tr", "td", "th", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "p", "nav", "main",
    "section", "article", "aside", "header", "footer", "img", "summary", "details", "dialog",
    "blockquote", "pre", "figure", "figcaption", "div", "span", "svg", "body"]);
  const KEEP_EMPTY = new Set(["input", "select", "textarea", "td", "th", "tr", "svg", "option"]);
  const INLINE = new Set(["span", "b", "i", "u", "s", "em", "strong", "small", "big", "mark", "sub",
    "sup", "abbr", "cite", "code", "kbd", "samp", "var", "q", "time", "data", "font", "bdi", "bdo",
    "del", "ins", "wbr", "a"]);
  const ROLES = new Set(["button", "link", "checkbox", "radio", "tab", "menuitem", "menuitemcheckbox",
    "menuitemradio", "option", "switch", "combobox", "textbox", "searchbox"]);
  const GROUP_TAGS = new Set(["nav", "section", "aside", "form", "fieldset", "ul", "ol", "table",
    "div", "header", "footer", "main", "article", "dialog", "menu"]);
  const TEXT_TYPES = new Set(["text", "search", "email", "url", "tel", "password", "number", ""]);
  const BUTTON_TYPES = new Set(["submit", "button", "reset", "image"]);

  const counts = new Map();   // page's own paper-format names -> occurrences among rendered elements
  const stale = [];           // rendered elements that carried a mark before this walk

  function labelledByText(el) {
    const ids = el.getAttribute("aria-labelledby");
    if (!ids) return "";
    const root = el.getRootNode();
    return ids.split(/\s+/).map((id) => {
      const t = root.getElementById ? root.getElementById(id) : document.getElementById(id);
      return t ? t.textContent : "";
    }).join(" ").trim();
  }

  function isInteractive(el, tag, cs, parentCs, inInteractive) {
    if (tag === "a") return el.hasAttribute("href") ? "link" : null;
    if (tag === "button" || tag === "select" || tag === "textarea" || tag === "summary") return tag;
    if (tag === "input") return "input";
    if (tag === "option") return "option";
    const role = el.getAttribute("role");
    if (role && ROLES.has(role.trim().toLowerCase())) return "role";
    if (el.hasAttribute("onclick") || typeof el.onclick === "function") return "onclick";
    if (el.isContentEditable && !(el.parentElement && el.parentElement.isContentEditable)) return "editable";
    if (!inInteractive && tag !== "label" && cs.cursor === "pointer" &&
        (!parentCs || parentCs.cursor !== "pointer")) return "pointer";
    return null;
  }

  // Build an intermediate node: {tag, el, attrs, kids, kind, own, textLabel, hasInteractive, block}
  function walkChildren(nodes, parentCs, ctx, out) {
    for (const child of nodes) walkNode(child, parentCs, ctx, out);
  }

  function childNodesOf(el) {
    if (el.shadowRoot) { watch(el.shadowRoot); return el.shadowRoot.childNodes; }
    if (el.tagName === "SLOT") {
      const assigned = el.assignedNodes({flatten: true});
      return assigned.length ? assigned : el.childNodes;
    }
    return el.childNodes;
  }

  function walkNode(node, parentCs, ctx, out) {
    if (node.nodeType === 3) {
      if (ctx.textVisible) {
        const t = node.data.replace(/\s+/g, " ");
        if (t) out.push(t);
      }
      return;
    }
    if (node.nodeType !== 1) return;
    const el = node;
    if (DROP.has(el.tagName)) return;
    let tag = el.localName;
    if (tag === "wm-recording-indicator") return;  // the recorder's badge (record.js): not the page's
    if (tag === "input" && (el.type === "hidden")) return;
    if (el.hasAttribute("hidden") && tag !== "slot") return;
    const cs = getComputedStyle(el);
    if (cs.display === "none") return;
    const visible = cs.visibility === "visible";
    if (el.hasAttribute(MARK)) stale.push(el);  // possibly stale or cloned marks
    if (tag === "br") { if (ctx.textVisible) out.push(" "); return; }
    if (tag === "slot") { walkChildren(childNodesOf(el), parentCs, ctx, out); return; }
    if (tag === "svg") {
      const label = el.getAttribute("aria-label") || (el.querySelector("title") || {}).textContent || "";
      if (!visible || !label.trim()) return;
      out.push({tag: "svg", el, attrs: {"aria-label": label.trim()}, kids: [], kind: null, hasInteractive: false, block: false});
      return;
    }
    if (tag === "details" && !el.open) {
      // Only the summary of a closed <details> is rendered.
      const n = makeNode(el, tag, cs, parentCs, ctx, visible);
      const summary = Array.from(el.children).find((c) => c.localName === "summary");
      const kidCtx = {textVisible: false, inInteractive: ctx.inInteractive || !!n.kind};
      if (summary) walkNode(summary, cs, kidCtx, n.kids);
      return finish(n, out);
    }
    const n = makeNode(el, tag, cs, parentCs, ctx, visible);
    const kidCtx = {textVisible: visible, inInteractive: ctx.inInteractive || !!n.kind};
    if (tag === "select") {
      for (const o of el.querySelectorAll("option")) walkNode(o, cs, kidCtx, n.kids);
    } else if (tag === "textarea") {
      if (el.value) n.kids.push(el.value);
    } else if (tag !== "input") {
      walkChildren(childNodesOf(el), cs, kidCtx, n.kids);
    }
    finish(n, out);
  }

  function makeNode(el, tag, cs, parentCs, ctx, visible) {
    const n = {tag, el, attrs: {}, kids: [], kind: null, hasInteractive: false,
      block: !cs.display.startsWith("inline"), visible};
    if (!visible) return n;
    n.kind = isInteractive(el, tag, cs, parentCs, ctx.inInteractive);
    const own = el.getAttribute("name");
    if (own !== null && PAPER.test(own)) { n.own = own; counts.set(own, (counts.get(own) || 0) + 1); }
    const a = n.attrs;
    for (const k of ["aria-label", "title", "role"]) {
      const v = el.getAttribute(k);
      if (v !== null && v.trim()) a[k] = v.trim();
    }
    if (tag === "img") { const alt = el.getAttribute("alt"); if (alt && alt.trim()) a.alt = alt.trim(); }
    if (tag === "input" || tag === "textarea") {
      const ph = el.getAttribute("placeholder"); if (ph) a.placeholder = ph;
    }
    if (tag === "input") {
      a.type = el.type;
      if (el.type === "checkbox" || el.type === "radio") {
        const v = el.getAttribute("value"); if (v && v !== "on") a.value = v;
        if (el.checked) a.checked = "";
      } else if (el.type !== "file" && el.type !== "password" && el.value !== "") a.value = el.value;  // never a password
    }
    if (tag === "button" && el.hasAttribute("type")) a.type = el.type;
    if (tag === "option" && el.selected) a.selected = "";
    if ((el.matches(":disabled") && tag !== "fieldset") || el.getAttribute("aria-disabled") === "true" ||
        (el.hasAttribute("disabled") && !("disabled" in el))) a.disabled = "";
    return n;
  }

  function textOf(kids) {
    let s = "";
    for (const k of kids) s += typeof k === "string" ? k : (" " + textOf(k.kids) + " ");
    return s;
  }
  function altOf(kids) {
    for (const k of kids) {
      if (typeof k === "string") continue;
      if (k.tag === "img" && k.attrs.alt) return k.attrs.alt;
      if (k.tag === "svg") return k.attrs["aria-label"];
      const inner = altOf(k.kids);
      if (inner) return inner;
    }
    return "";
  }

  function finish(n, out) {
    const kids = [];
    for (const k of n.kids) {
      if (typeof k === "string") {
        if (kids.length && typeof kids[kids.length - 1] === "string") kids[kids.length - 1] += k;
        else kids.push(k);
      } else kids.push(k);
    }
    for (let i = 0; i < kids.length; i++) if (typeof kids[i] === "string") kids[i] = kids[i].replace(/ {2,}/g, " ");
    n.kids = kids;
    return finishNode(n, out);
  }

  function finishNode(n, out) {
    const kids = n.kids.filter((k) => typeof k !== "string" || k.trim());  // the meaningful ones
    for (const k of kids) if (typeof k !== "string" && (k.kind || k.hasInteractive)) n.hasInteractive = true;
    if (n.kind === "pointer" && n.hasInteractive) n.kind = null;  // a pointer wrapper around real controls
    if (!n.visible) { spliceKids(n, out); return; }
    // aria-hidden="true" marks decoration (icons, letter thumbnails): drop it unless it holds controls.
    if (!n.kind && !n.hasInteractive && n.el.getAttribute("aria-hidden") === "true") return;
    const tag = n.tag;
    const generic = !KEEP.has(tag) || tag === "div" || tag === "span" || (tag === "a" && !n.kind);
    const hasAttrs = Object.keys(n.attrs).length > 0 || n.own !== undefined || n.kind || n.el.hasAttribute("data-name");
    if (generic && !hasAttrs) {
      if (kids.length === 0) return;
      if (kids.length === 1 || INLINE.has(tag) || !n.block) { spliceKids(n, out); return; }
      n.tag = "div";
    } else if (!KEEP.has(tag)) {
      n.tag = n.block ? "div" : "span";
    }
    if (!hasAttrs && !KEEP_EMPTY.has(n.tag) && kids.length === 0) return;
    out.push(n);
  }

  function spliceKids(n, out) {
    if (n.block) out.push(" ");
    for (const k of n.kids) out.push(k);
    if (n.block) out.push(" ");
  }

  // ---------------------------------------------------------------- naming
  function labelFor(n) {
    const el = n.el, tag = n.tag, a = n.attrs;
    const tries = [a["aria-label"], labelledByText(el)];
    if (tag === "input" || tag === "select" || tag === "textarea") {
      if (el.labels) for (const l of el.labels) tries.push(l.innerText || l.textContent);
      if (tag === "input" && BUTTON_TYPES.has(el.type)) tries.push(el.value);
      tries.push(a.placeholder, a.title, el.getAttribute("alt"), el.getAttribute("name"), el.id,
        tag === "input" ? el.type : tag);
    } else {
      tries.push(textOf(n.kids), altOf(n.kids), a.title, el.getAttribute("value"),
        el.getAttribute("name"), el.id, a.role || tag);
    }
    for (const t of tries) if (t && String(t).trim()) return String(t).trim();
    return "";
  }

  // Containers: data-name always names one; an aria-label names a grouping element only when
  // some descendant's generated name needs it as a prefix (lazily), so labelled wrappers
  // whose controls carry their own names add no noise.
  const GROUP_ROLES = /^(group|region|navigation|list|radiogroup|tablist|menu|menubar|toolbar|search|form|dialog|listbox|grid|tree)$/;
  function containerPart(n) {
    const dn = n.el.getAttribute("data-name");
    if (dn && dn.trim()) return {part: shortSlug(dn), eager: true};
    if (n.hasInteractive && n.attrs["aria-label"] && (GROUP_TAGS.has(n.el.localName) || GROUP_ROLES.test(n.attrs.role || "")))
      return {part: shortSlug(n.attrs["aria-label"]), eager: false};
    return null;
  }

  const taken = new Set();
  for (const [name, c] of counts) if (c === 1) taken.add(name);
  const names = [];   // document order; a lazy container keeps its slot (null until used)
  const byName = new Map();

  function unique(base) {
    if (!taken.has(base)) { taken.add(base); return base; }
    for (let i = 2; ; i++) {
      const cand = base + "_" + i;
      if (!taken.has(cand)) { taken.add(cand); return cand; }
    }
  }

  function give(n, name, slot) {
    n.name = name;
    names[slot] = name;
    byName.set(name, n.el);
    if (n.el.getAttribute(MARK) !== name) n.el.setAttribute(MARK, name);
  }

  // A scope is the nearest named (or nameable) ancestor: {node, part, parent, slot}.
  function prefixOf(scope) {
    if (!scope) return "";
    if (!scope.node.name) {
      const up = prefixOf(scope.parent);
      give(scope.node, unique(up ? up + "." + scope.part : scope.part), scope.slot);
    }
    return scope.node.name;
  }

  function assign(n, scope, selectName) {
    if (typeof n === "string") return;
    let kidScope = scope;
    const slot = names.length;
    const kept = n.own !== undefined && counts.get(n.own) === 1;
    if (kept) {
      names.push(null);
      give(n, n.own, slot);
      if (!n.kind) kidScope = {node: n, parent: null, slot};
    } else if (n.kind) {
      names.push(null);
      let name;
      if (n.tag === "option" && selectName) {
        name = selectName + "." + shortSlug(textOf(n.kids).trim() || n.el.value);
      } else {
        let part = shortSlug(labelFor(n));
        const group = n.el.getAttribute("name");
        if (n.tag === "input" && n.el.type === "radio" && group) part = shortSlug(group) + "." + part;
        const up = prefixOf(scope);
        name = up ? up + "." + part : part;
      }
      give(n, unique(name), slot);
    } else {
      const c = containerPart(n);
      if (c) {
        names.push(null);
        kidScope = {node: n, part: c.part, parent: scope, slot};
        if (c.eager) prefixOf(kidScope);
      }
    }
    const kidSelect = n.tag === "select" ? n.name : selectName;
    for (const k of n.kids) assign(k, kidScope, kidSelect);
  }

  // ---------------------------------------------------------------- serialisation
  function esc(s) { return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }
  function escAttr(s) { return esc(s).replace(/"/g, "&quot;"); }
  const VOID = new Set(["input", "img"]);
  const ORDER = ["name", "role", "type", "aria-label", "alt", "title", "placeholder", "value", "checked", "selected", "disabled"];

  function serialise(n, parts) {
    if (typeof n === "string") { parts.push(esc(n)); return; }
    parts.push("<", n.tag);
    const a = n.attrs;
    if (n.name) parts.push(' name="', n.name, '"');
    for (const k of ORDER) {
      if (k === "name" || !(k in a)) continue;
      parts.push(a[k] === "" && (k === "checked" || k === "selected" || k === "disabled") ? " " + k : " " + k + '="' + escAttr(a[k]) + '"');
    }
    parts.push(">");
    if (VOID.has(n.tag)) return;
    // Whitespace: trim at the element's edges and drop whitespace-only runs between elements.
    const kids = n.kids, last = kids.length - 1;
    for (let i = 0; i <= last; i++) {
      let k = kids[i];
      if (typeof k === "string") {
        if (i === 0) k = k.trimStart();
        if (i === last) k = k.trimEnd();
        if (!k.trim()) continue;
      }
      serialise(k, parts);
    }
    parts.push("</", n.tag, ">");
  }

  function run() {
    const top = [];
    const body = document.body || document.documentElement;
    const bodyCs = getComputedStyle(body);
    const root = {tag: "body", el: body, attrs: {}, kids: [], kind: null, hasInteractive: false, block: true, visible: true};
    walkChildren(childNodesOf(body), bodyCs, {textVisible: bodyCs.visibility === "visible", inInteractive: false}, root.kids);
    const all = [];
    finish(root, all);
    for (const k of root.kids) assign(k, "", null);
    // Forget marks that this naming did not give again (hidden, renamed or cloned elements).
    for (const el of stale) {
      const m = el.getAttribute(MARK);
      if (byName.get(m) !== el) el.removeAttribute(MARK);
    }
    const gone = new Map();
    for (const [name, el] of W.byName) {
      if (byName.get(name) !== el) {
        if (el.getAttribute(MARK) === name) el.removeAttribute(MARK);
        if (!byName.has(name)) gone.set(name, el);
      }
    }
    W.gone = gone;
    W.byName = byName;
    const used = names.filter((x) => x !== null);
    names.length = 0;
    names.push(...used);
    W.names = names;
    W.href = location.href;
    W.namedAt = -2;  // set for real once our own mark mutations are delivered (below)
    return root;
  }

  function fresh() {
    return W.namedAt === W.muts && W.href === location.href;
  }

  function observe() {
    const root = run();
    const parts = [];
    serialise(root, parts);
    // The HTTP status of the response that brought this document (0 where there was none).
    const entry = performance.getEntriesByType("navigation")[0];
    const status = entry ? entry.responseStatus : 0;
    const result = {url: location.href, title: document.title, html: parts.join(""), names, status};
    if (req.raw) {
      // The page's own markup: leave out the data-wm-name marks this walk added.
      let marks = 0;
      for (const name of names) marks += (" " + MARK + '="' + name + '"').length;
      result.rawBytes = new Blob([document.documentElement.outerHTML]).size - marks;
    }
    W.namedAt = W.muts;
    return result;
  }

  if (req.op === "observe") return observe();

  if (req.op === "settle") {
    // Wait frame by frame (or 100 ms where a hidden window gets no frames) until one passes
    // with the DOM unchanged, then observe: one round trip for settling and observing. The
    // first frame starts after the tasks already queued (an action's setTimeout(0) work).
    const until = performance.now() + req.budget;
    return new Promise((resolve) => {
      if (req.leave && leaving()) { resolve({leaving: true}); return; }
      const next = () => {
        const before = W.muts;
        let done = false;
        const check = () => {
          if (done) return;
          done = true;
          if (req.leave && leaving()) resolve({leaving: true});
          else if (W.muts === before) resolve(Object.assign({quiet: true}, observe()));
          else if (performance.now() >= until) resolve({quiet: false});
          else next();
        };
        requestAnimationFrame(check);
        setTimeout(check, 100);
      };
      // Chromium holds calls to a page that is loading another document until it commits, so
      // this may be the new document, not yet loaded: its load event comes first.
      if (document.readyState === "complete") setTimeout(next, 0);
      else addEventListener("load", () => setTimeout(next, 0), {once: true});
    });
  }

  if (req.op === "resolve") {
    if (!fresh()) { run(); W.namedAt = W.muts; }
    const name = req.name;
    const el = W.byName.get(name);
    if (!el || !el.isConnected) {
      const old = W.gone.get(name);
      let hidden = old && old.isConnected ? old : null;
      if (!hidden && PAPER.test(name)) hidden = document.querySelector('[name="' + name + '"]');
      if (hidden) return {found: false, hidden: true, names: W.names};
      return {found: false, hidden: false, names: W.names};
    }
    const tag = el.localName;
    const rects = el.getClientRects();
    const r = el.getBoundingClientRect();
    const info = {
      found: true, tag, type: tag === "input" ? el.type : (el.getAttribute("type") || ""),
      disabled: el.matches(":disabled") || el.getAttribute("aria-disabled") === "true",
      sized: rects.length > 0 && r.width > 0 && r.height > 0,
      editable: (tag === "input" && TEXT_TYPES.has(el.type)) || tag === "textarea" || el.isContentEditable,
      readonly: !!el.readOnly,
    };
    if (tag === "option") {
      const sel = el.closest("select");
      info.selectName = sel ? sel.getAttribute(MARK) : null;
      info.selectDisabled = sel ? sel.disabled : true;
      info.index = el.index;
    } else if (req.click && info.sized) {
      info.point = hitPoint(el);
      if (!info.point) info.coveredBy = describe(topmostAt(el));
    }
    return info;
  }

  if (req.op === "focus") {
    // As Playwright's fill: the text typed next replaces what the field holds.
    const el = W.byName.get(req.name);
    if (!el || !el.isConnected) return false;
    el.focus();
    if (el.isContentEditable) {
      const range = document.createRange();
      range.selectNodeContents(el);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    } else if (typeof el.select === "function") el.select();
    return el.getRootNode().activeElement === el;
  }

  // A person clicks where they see the element: scroll it into view, take the middle of its
  // first box, and check that this point hits the element (not a panel covering it). The point
  // is in the viewport's coordinates, where the mouse clicks.
  function topmostAt(el) {
    const box = Array.from(el.getClientRects()).find((b) => b.width > 0 && b.height > 0);
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const root = el.getRootNode();
    return {x, y, hit: (root.elementFromPoint ? root : document).elementFromPoint(x, y)};
  }
  function hitPoint(el) {
    let at = topmostAt(el);
    if (at.x < 0 || at.y < 0 || at.x >= innerWidth || at.y >= innerHeight) {
      el.scrollIntoView({block: "center", inline: "center"});
      at = topmostAt(el);
    }
    const hit = at.hit;
    const inside = hit && (hit === el || el.contains(hit) || (hit.shadowRoot && hit.contains(el)));
    return inside ? {x: at.x, y: at.y} : null;
  }
  function describe(at) {
    const hit = at.hit;
    if (!hit) return "nothing (the point is outside the page)";
    const named = hit.closest("[" + MARK + "]");
    const label = (hit.getAttribute("aria-label") || hit.textContent || "").trim().slice(0, 40);
    return named ? "the element named " + named.getAttribute(MARK) : "<" + hit.localName + "> " + JSON.stringify(label);
  }
  throw new Error("webmimic: unknown op " + req.op);
}
