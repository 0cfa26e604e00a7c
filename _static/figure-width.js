// A figure keeps at least 75 % of its natural width, so its labels stay at least 10 px high
// (matplotlib's 10 pt at 100 dpi is 13.9 px; 75 % of that is 10.4 px). Where the column is narrower
// (a phone), the figure's own output box (an animation's frame box) scrolls sideways, never the
// page: the box is a named group that takes the keyboard focus, so the arrow keys scroll it too. The browser check
// (tests/browser/check_pages.py) measures every figure at 390 px.
(function () {
  var MIN_SCALE = 0.75;

  function fit(img) {
    var box = img.parentElement;
    if (!img.naturalWidth || !box) return;
    var least = Math.ceil(MIN_SCALE * img.naturalWidth);
    var narrow = box.clientWidth < least;
    img.style.maxWidth = narrow ? "none" : "";
    img.style.width = narrow ? least + "px" : "";
    box.style.overflowX = narrow ? "auto" : "";
    if (narrow) {
      box.tabIndex = 0;
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", "Figure wider than the screen: scroll sideways");
    } else if (box.getAttribute("role") === "group") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }

  function all() {
    document.querySelectorAll(".cell_output > img, .gdcourse-animation-frame > img").forEach(function (img) {
      if (img.complete) fit(img);
      else img.addEventListener("load", function () { fit(img); }, {once: true});
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
  window.addEventListener("resize", all);
})();
