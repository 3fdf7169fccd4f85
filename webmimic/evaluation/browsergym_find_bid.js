// The element a step targets, found by the XPath webmimic computed; its BrowserGym id (null if absent).
(xpath) => {
  const found = document.evaluate(xpath, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null);
  const el = found.singleNodeValue;
  return el && el.getAttribute ? el.getAttribute("bid") : null;
}
