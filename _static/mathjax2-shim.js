// The ipywidgets embedder typesets widget labels with MathJax 2's `MathJax.Hub.Queue`, which
// MathJax 3 (the book's) does not have: every slider threw "reading 'Queue'" into the console.
// Map the call onto MathJax 3's typesetPromise.
(function () {
  function install() {
    var mj = window.MathJax;
    if (!mj || mj.Hub) return;
    mj.Hub = {
      Queue: function () {
        var elements = [];
        for (var i = 0; i < arguments.length; i++) {
          var a = arguments[i];
          if (Array.isArray(a) && a[0] === "Typeset" && a[2]) elements.push(a[2]);
        }
        if (window.MathJax.typesetPromise) {
          window.MathJax.typesetPromise(elements.length ? elements : undefined).catch(function () {});
        }
      },
    };
  }
  install();
  document.addEventListener("DOMContentLoaded", install);
  window.addEventListener("load", install);
})();
