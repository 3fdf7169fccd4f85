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
// Messages: {kind: "page", obs} and {kind: "action", action: {type, name, text?}, obs, t}.
(simplify) => {
  if (window !== window.top || window.__wmRec) return;
  const MARK = "data-wm-name";
  const TYPABLE = new Set(["text", "search", "email", "url", "tel", "number", ""]);  // never password
  const R = window.__wmRec = {
    snap: null, muts: 0, seen: -1, snapMuts: -1, need: true, typing: false, scheduled: false,
    enterIn: null, sent: 0,
  };

  function send(msg) {
    const fn = window.__wmRecord;
    if (typeof fn !== "function") return;
    const p = fn(msg);
    if (p && p.catch) p.catch(() => {});  // the page may be closing; nothing to do about it
  }

  function take() {
    R.snap = simplify({op: "observe", raw: false});
    R.snapMuts = R.muts;
    R.need = false;
    send({kind: "page", obs: R.snap});
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
      if (r.type !== "attributes" || r.attributeName !== MARK) {
        R.muts++;
        if (document.readyState === "complete") schedule();
        return;
      }
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  window.addEventListener("load", () => { R.need = true; schedule(); });
  window.addEventListener("pageshow", (e) => { if (e.persisted) { R.need = true; schedule(); } });

  // The page shown just before an action: the settled snapshot if nothing changed since.
  function current() {
    if (R.snap && !R.need && R.snapMuts === R.muts) return R.snap;
    return take();
  }

  function report(action, obs) {
    send({kind: "action", action, obs, t: Date.now()});
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
    }
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
    const obs = R.snap || take();
    if (!name || !obs.names.includes(name)) return;
    report({type: "type_and_submit", name, text: el.value}, obs);
  }, true);

  window.addEventListener("click", (e) => {
    const target = e.target && e.target.nodeType === 1 ? e.target : null;
    if (!target) return;
    const el = target.closest("[" + MARK + "]");
    if (!el || !clickable(el)) return;
    if (el.localName === "select" || el.localName === "option") return;  // the choice counts: "change"
    if (isTypable(el) || isPassword(el)) return;  // focusing a field is not an action; submitting is
    if (R.enterIn && el.form && R.enterIn.form === el.form) return;  // Enter's implicit click
    // Typing then clicking the form's default button submits the typed text, like Enter.
    const typed = R.typing ? R.lastTyped : null;
    if (typed && el.form && typed.form === el.form && defaultButton(el.form) === el) {
      if (isPassword(typed)) { R.typing = false; R.need = true; return; }
      const tname = typed.getAttribute(MARK);
      const obs = R.snap || take();
      if (tname && obs.names.includes(tname)) {
        report({type: "type_and_submit", name: tname, text: typed.value}, obs);
        return;
      }
    }
    let obs = current();
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
