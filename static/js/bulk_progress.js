// Bulk invite: follows a job's progress without reloading the page, and
// shows its results file once the job is done. The page works without
// this script: it has a Refresh link.
(function () {
  "use strict";
  var job = document.querySelector("[data-job-progress]");
  if (!job || job.getAttribute("data-job-done") === "true" || !window.fetch) {
    return;
  }
  var url = job.getAttribute("data-job-progress");
  var bar = job.querySelector("progress");
  function show(p) {
    ["status", "succeeded", "failed", "total", "finished"].forEach(function (name) {
      var cell = job.querySelector('[data-field="' + name + '"]');
      if (cell) {
        cell.textContent = String(p[name]);
      }
    });
    if (bar) {
      bar.value = p.percent;
      bar.textContent = p.percent + "%";
    }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) {
        if (!res.ok) {
          throw new Error("progress: " + res.status);
        }
        return res.json();
      })
      .then(function (p) {
        show(p);
        if (p.done) {
          job.querySelectorAll("[data-job-results]").forEach(function (el) {
            el.hidden = false;
          });
          document.querySelectorAll("[data-job-pending]").forEach(function (el) {
            el.hidden = true;
          });
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 1000);
})();
