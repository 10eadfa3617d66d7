// Planner: poll a background job's status every second and show its progress;
// reload the page when it is done so the server renders the results.
(function () {
  "use strict";
  var box = document.getElementById("ga-job");
  if (!box) { return; }
  var bar = box.querySelector(".progress-bar");
  var meter = box.querySelector(".progress");
  var statusText = box.querySelector(".ga-job-status");
  var messageText = box.querySelector(".ga-job-message");
  var url = box.getAttribute("data-status-url");

  function show(status, progress, message) {
    var percent = Math.round(Math.max(0, Math.min(1, progress)) * 100);
    if (status === "done") { percent = 100; }
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    meter.setAttribute("aria-valuenow", String(percent));
    box.setAttribute("data-status", status);
    statusText.textContent = status;
    messageText.textContent = message || "";
    if (status === "failed") {
      bar.classList.add("bg-danger");
      bar.classList.remove("progress-bar-animated");
    }
    if (status === "done") {
      bar.classList.add("bg-success");
      bar.classList.remove("progress-bar-animated");
    }
  }

  var status = box.getAttribute("data-status");
  show(status, parseFloat(box.getAttribute("data-progress")) || 0, messageText.textContent);
  if (status === "done" || status === "failed") { return; }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (job) {
        show(job.status, job.progress, job.message);
        if (job.status === "done") {
          window.setTimeout(function () { window.location.reload(); }, 400);
        } else if (job.status === "failed") {
          window.setTimeout(function () { window.location.reload(); }, 400);
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        messageText.textContent = "could not read the status; retrying";
        window.setTimeout(poll, 2000);
      });
  }
  window.setTimeout(poll, 1000);
}());
