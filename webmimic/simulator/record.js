// webmimic's recorder, page side. Installed by webmimic/simulator/capture.py as an init script
// (so it runs in every document of the recording context) as `(<this>)(<simplify.js>)`.
//
// Why it snapshots in the page: a click's navigation starts right after the event, before
// Python could observe anything, so the page the person saw must be captured synchronously
// here. The snapshot is simplify.js's own "observe" (exactly what Tab.observe returns), taken
// once the page settled (load + one animation frame without DOM mutations, like settle()), so a
// replay that observes after settling sees the same page. Each action is reported through the
// binding __wmRecord together with that snapshot; every settled snapshot is also reported, so
// Python always holds the latest page (needed for the final terminate step).
//
// Messages: {kind: "page", obs, nav} and {kind: "action", action: {type, name, text?}, obs, t, fills}.
// `nav` is {type, index}: the navigation type of the document ("navigate", "reload",
// "back_forward"; a page restored from the back/forward cache says "back_forward") and its
// index in the tab's session history (Navigation API), so Python can tell back from forward.
// `fills` lists the text fields typed into since the last action and not submitted by it:
// [{name, text}], named in `obs` (never a password).
//
// Elements added after the page loaded (search suggestions, menus) get their names when the
// person clicks them: a click on an unnamed control, or on any control after the DOM changed,
// takes a fresh snapshot first (simplify.js names the whole page again, the same names a
// replay's observation gives), so the click is never dropped for want of a name.
(simplify) => {
  if (window !== window.top || window.__wmRec) return;
  const MARK = "data-wm-name";
  const TYPABLE = new Set(["text", "search", "email", "url", "tel", "number", ""]);  // never password
  const R = window.__wmRec = {
    snap: null, muts: 0, seen: -1, snapMuts: -1, need: true, typing: false, scheduled: false,
    enterIn: null, sent: 0, dirty: [], orig: new WeakMap(),
  };

  // A badge saying that recording is on, outside the observed page: simplify.js skips this
  // element, its content is in a closed shadow root, and it takes no pointer events.
  function badge() {
    if (!document.documentElement || document.querySelector("wm-recording-indicator")) return;
    const host = document.createElement("wm-recording-indicator");
    const root = host.attachShadow({mode: "closed"});
    root.innerHTML = '<div style="position:fixed;right:8px;bottom:8px;z-index:2147483647;' +
      'pointer-events:none;font:12px sans-serif;background:rgba(180,0,0,.85);color:#fff;' +
      'padding:2px 8px;border-radius:9px;opacity:.8">\u25CF REC</div>';
    R.badging = true;
    document.documentElement.appendChild(host);
  }

  function send(msg) {
    const fn = window.__wmRecord;
    if (typeof fn !== "function") return;
    const p = fn(msg);
    if (p && p.catch) p.catch(() => {});  // the page may be closing; nothing to do about it
  }

  function navInfo() {
    const entry = performance.getEntriesByType("navigation")[0];
    const cur = window.navigation && window.navigation.currentEntry;
    return {type: R.restored ? "back_forward" : (entry ? entry.type : "navigate"), index: cur ? cur.index : -1};
  }

  function take() {
    R.snap = simplify({op: "observe", raw: false});
    R.snapMuts = R.muts;
    R.need = false;
    send({kind: "page", obs: R.snap, nav: navInfo()});
    R.sent++;
    return R.snap;
  }

  // Settling: a frame with no DOM mutation after the load event (our own marks do not count).
  function schedule() {
    if (R.scheduled) return;
    R.scheduled = true;
    requestAnimationFrame(tick);
  }
  function tick() {
    R.scheduled = false;
    if (document.readyState !== "complete") return;  // the load listener schedules again
    if (R.muts !== R.seen) { R.seen = R.muts; schedule(); return; }
    if (R.typing) return;  // keep the page as it was before the person started typing
    if (R.need || R.snapMuts !== R.muts) take();
  }
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "childList" && r.target === document.documentElement &&
          [...r.addedNodes].every((x) => x.localName === "wm-recording-indicator")) continue;
      if (r.type !== "attributes" || r.attributeName !== MARK) {
        R.muts++;
        if (document.readyState === "complete") schedule();
        return;
      }
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  window.addEventListener("load", () => { badge(); R.need = true; schedule(); });
  window.addEventListener("pageshow", (e) => {
    if (e.persisted) { R.restored = true; R.dirty = []; R.typing = false; R.need = true; schedule(); }
  });

  // The page shown just before an action: the settled snapshot if nothing changed since.
  function current() {
    if (R.snap && !R.need && R.snapMuts === R.muts) return R.snap;
    return take();
  }

  // The fields typed into and not submitted (in typing order), named in obs; `except` is the
  // field this action submits. Passwords never get here (see the input listener).
  function fills(obs, except) {
    const out = [];
    for (const el of R.dirty) {
      if (el === except || !el.isConnected) continue;
      const name = el.getAttribute(MARK);
      if (name && obs.names.includes(name)) out.push({name, text: el.isContentEditable ? el.textContent : el.value});
    }
    return out;
  }

  function report(action, obs, except) {
    send({kind: "action", action, obs, t: Date.now(), fills: fills(obs, except)});
    R.dirty = [];
    R.typing = false;
    R.need = true;  // the action may change state without DOM mutations (a select, a checkbox)
    schedule();
  }

  function isTypable(el) {
    return (el.localName === "input" && TYPABLE.has(el.type)) || el.localName === "textarea" ||
      el.isContentEditable;
  }
  function isPassword(el) { return el.localName === "input" && el.type === "password"; }

  // Only controls count as clicks: a marked container (a named section) is not an action.
  function clickable(el) {
    const tag = el.localName;
    if (tag === "a") return el.hasAttribute("href");
    if (["button", "input", "summary", "option"].includes(tag)) return true;
    if (el.hasAttribute("role") || el.hasAttribute("onclick") || typeof el.onclick === "function") return true;
    return getComputedStyle(el).cursor === "pointer";
  }

  function defaultButton(form) {
    for (const el of form.elements) {
      if ((el.localName === "button" && el.type === "submit") ||
          (el.localName === "input" && (el.type === "submit" || el.type === "image"))) return el;
    }
    return null;
  }

  window.addEventListener("input", (e) => {
    const el = e.target;
    if (el && el.nodeType === 1 && (isTypable(el) || isPassword(el))) {
      R.typing = true;
      R.lastTyped = el;
      if (isTypable(el) && !R.dirty.includes(el)) R.dirty.push(el);
    }
  }, true);
  // A field's value before the person's first edit since the last action.
  window.addEventListener("beforeinput", (e) => {
    const el = e.target;
    if (el && el.nodeType === 1 && isTypable(el) && !R.dirty.includes(el)) R.orig.set(el, el.value);
  }, true);

  window.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.isComposing || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return;
    const el = e.target;
    if (!el || el.nodeType !== 1 || el.localName !== "input") return;
    if (!isTypable(el) && !isPassword(el)) return;
    // Enter submits the form by clicking its default button: that click is part of this action.
    R.enterIn = el;
    setTimeout(() => { R.enterIn = null; }, 0);
    if (isPassword(el)) { R.typing = false; R.need = true; return; }  // never recorded
    const name = el.getAttribute(MARK);
    const obs = pageFor(el);
    if (!name || !obs.names.includes(name)) return;
    report({type: "type_and_submit", name, text: el.value}, obs, el);
  }, true);

  // The page a replay shows before this action: with other fields typed into (replayed as fills
  // first), a fresh snapshot with `submitted` back at its value from before the typing; else the
  // settled snapshot from before the typing. With no `submitted` (a click), the page now.
  function pageFor(submitted) {
    const others = R.dirty.filter((x) => x !== submitted && x.isConnected);
    if (!submitted) return others.length ? take() : current();
    if (!others.length || submitted.isContentEditable) return R.snap || take();
    const now = submitted.value;
    submitted.value = R.orig.has(submitted) ? R.orig.get(submitted) : "";
    try { return take(); } finally { submitted.value = now; }
  }

  // A control the click lands in that has no name yet: it appeared after the last snapshot.
  const CONTROL = "a[href],button,input,select,option,summary,textarea,[role],[onclick]";
  function namedAt(target) {
    const el = target.closest("[" + MARK + "]");
    const control = target.closest(CONTROL);
    if (el && clickable(el) && (!control || control === el || control.hasAttribute(MARK))) return el;
    current();  // names the page as it is now (a fresh snapshot when the DOM changed)
    return target.closest("[" + MARK + "]");
  }

  window.addEventListener("click", (e) => {
    const target = e.target && e.target.nodeType === 1 ? e.target : null;
    if (!target) return;
    const el = namedAt(target);
    if (!el || !clickable(el)) return;
    if (el.localName === "select" || el.localName === "option") return;  // the choice counts: "change"
    if (isTypable(el) || isPassword(el)) return;  // focusing a field is not an action; submitting is
    if (R.enterIn && el.form && R.enterIn.form === el.form) return;  // Enter's implicit click
    // Typing then clicking the form's default button submits the typed text, like Enter.
    const typed = R.typing ? R.lastTyped : null;
    if (typed && el.form && typed.form === el.form && defaultButton(el.form) === el) {
      if (isPassword(typed)) { R.typing = false; R.need = true; return; }
      const tname = typed.getAttribute(MARK);
      const obs = pageFor(typed);
      if (tname && obs.names.includes(tname)) {
        report({type: "type_and_submit", name: tname, text: typed.value}, obs, typed);
        return;
      }
    }
    let obs = pageFor(null);
    const name = el.getAttribute(MARK);
    if (!obs.names.includes(name)) obs = take();
    if (!obs.names.includes(name)) return;
    report({type: "click", name}, obs);
  }, true);

  // Choosing an <option> (native popups fire no click on options): a click on the option's name,
  // with the page as it was before the choice (selection changes no DOM, so the snapshot holds).
  window.addEventListener("change", (e) => {
    const sel = e.target;
    if (!sel || sel.localName !== "select" || sel.multiple) return;
    const opt = sel.selectedOptions[0];
    const name = opt ? opt.getAttribute(MARK) : null;
    const obs = R.snap || take();
    if (!name || !obs.names.includes(name)) return;
    report({type: "click", name}, obs);
  }, true);
}
