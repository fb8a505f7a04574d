// The invoice page's Print button. Without JavaScript the button stays hidden and the page
// says how to print instead.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
document.querySelectorAll("[data-print-hint]").forEach(function (hint) { hint.hidden = true; });
