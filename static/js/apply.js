// Show the questionnaire only for tiers that ask for it; without JavaScript it stays visible.
(function () {
  var ids = JSON.parse(document.getElementById("questionnaire-tiers").textContent);
  var box = document.getElementById("questionnaire");
  function update() {
    var chosen = document.querySelector("input[name=tier]:checked");
    box.hidden = !chosen || ids.indexOf(Number(chosen.value)) === -1;
  }
  document.querySelectorAll("input[name=tier]").forEach(function (input) {
    input.addEventListener("change", update);
  });
  update();
})();
