// The import page follows its batch until the check or the import is done, then reloads.
(function () {
  "use strict";
  const box = document.querySelector(".import-batch");
  if (!box || box.dataset.finished === "true") return;
  const bar = box.querySelector(".import-progress");
  const count = box.querySelector(".import-count");
  const status = box.querySelector(".import-status");
  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (bar) { bar.value = data.progress; bar.textContent = data.progress + "%"; }
        if (count) { count.textContent = data.checked + "/" + data.rows; }
        if (status) { status.textContent = data.status_label; }
        if (data.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
