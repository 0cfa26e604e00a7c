// Accessible names of the theme's own controls (sphinx-book-theme 1.3 / pydata-sphinx-theme), so
// that what a screen reader announces matches what a sighted reader sees (WCAG 2.5.3, axe's
// label-content-name-mismatch):
// - the search field button reads "Search Ctrl+K" but was named "Search": its name now comes
//   from its text;
// - the colour-mode button is named "Color mode", but Font Awesome turns its icons into SVGs
//   titled "Light", "Dark", "System Settings" that count as its visible text: the icons are
//   hidden from assistive technology (the button keeps its name, its tooltip says the same);
// - myst-nb's "Show code cell source" toggles were named "Toggle hidden content": their name
//   now comes from the text they show;
// - sphinxcontrib-bibtex marks the reference list role="list" but its entries
//   role="doc-biblioentry", which a list may not hold (axe's aria-required-children): the entries
//   keep their role and the container is a plain group of them.
(function () {
  function fix() {
    document.querySelectorAll(".search-button-field.search-button__button[aria-label]").forEach(function (b) {
      b.removeAttribute("aria-label");
    });
    document.querySelectorAll(".theme-switch-button svg, .theme-switch-button i").forEach(function (icon) {
      icon.setAttribute("aria-hidden", "true");
      icon.removeAttribute("aria-labelledby");
      icon.removeAttribute("title");
      icon.querySelectorAll("title").forEach(function (t) { t.remove(); });
    });
    document.querySelectorAll("details > summary[aria-label='Toggle hidden content']").forEach(function (s) {
      s.removeAttribute("aria-label");
    });
    document.querySelectorAll(".citation-list[role='list']").forEach(function (l) {
      l.removeAttribute("role");
    });
  }
  function start() {
    fix();
    // Font Awesome replaces the <i> icons by SVGs after the page has loaded (and again if they change).
    document.querySelectorAll(".theme-switch-button").forEach(function (b) {
      new MutationObserver(fix).observe(b, {childList: true, subtree: true});
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.addEventListener("load", fix);
})();
