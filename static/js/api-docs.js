// Swagger UI puts a link inside each operation's toggle button, and a control inside a control
// is one a keyboard or screen reader cannot reach on its own (WCAG 4.1.2). The button already
// opens the operation, so the inner link loses its address (it stays as text).
(function () {
  "use strict";
  function flatten(root) {
    root.querySelectorAll(".opblock-summary-control a[href]").forEach(function (link) {
      link.removeAttribute("href");
    });
  }
  var target = document.getElementById("swagger-ui");
  if (!target || !window.MutationObserver) return;
  flatten(target);
  new MutationObserver(function () { flatten(target); })
    .observe(target, { childList: true, subtree: true });
})();
