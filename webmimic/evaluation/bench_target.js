// In webmimic's page: the element carrying a name, as an XPath by tag and position that finds the
// same element in another browser showing the same page (BrowserGym's); an <option> becomes its
// <select> and the option's value, as a person's choice in a list is sent to BrowserGym.
(name) => {
  const el = Array.from(document.querySelectorAll("[data-wm-name]")).find(e => e.getAttribute("data-wm-name") === name);
  if (!el) return null;
  const xpath = (node) => {
    const parts = [];
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      let i = 1;
      for (let s = n.previousElementSibling; s; s = s.previousElementSibling) if (s.localName === n.localName) i++;
      parts.unshift(`${n.localName}[${i}]`);
    }
    return "/" + parts.join("/");
  };
  if (el.localName === "option") {
    const select = el.closest("select");
    return select ? {kind: "select", xpath: xpath(select), value: el.value} : null;
  }
  return {kind: "target", xpath: xpath(el)};
}
