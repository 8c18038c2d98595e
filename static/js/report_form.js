// The report form: mark what was changed, and warn before leaving with unsaved entries.
(function () {
  "use strict";
  const form = document.querySelector("#report_form");
  if (!form) return;
  let dirty = false;
  form.addEventListener("input", function (event) {
    const field = event.target;
    if (!(field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement)) return;
    field.classList.toggle("changed", field.value !== field.defaultValue);
    dirty = true;
  });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
