// Small enhancements for the public pages; everything works without them.
(function () {
  "use strict";
  // A filter choice applies at once (the form still has its button without JavaScript).
  document.querySelectorAll("form.filters select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.requestSubmit(); });
  });
  document.querySelectorAll(".print-button").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
