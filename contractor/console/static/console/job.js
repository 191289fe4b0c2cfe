// The job page follows its job: it polls the job's feed (JSON) and redraws what changed, until the job ends.
(function () {
  "use strict";
  var panel = document.getElementById("job-progress");
  if (!panel) return;
  var feedUrl = panel.dataset.feed;
  var INTERVAL_MS = 1500;
  var failures = 0;

  function byId(id) { return document.getElementById(id); }

  function setText(id, value) {
    var node = byId(id);
    var text = value === null || value === undefined || value === "" ? "-" : String(value);
    if (node && node.textContent !== text) node.textContent = text;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "-";
    var total = Math.round(seconds);
    var hours = Math.floor(total / 3600), minutes = Math.floor(total / 60) % 60, secs = total % 60;
    return hours + ":" + String(minutes).padStart(2, "0") + ":" + String(secs).padStart(2, "0");
  }

  function setState(node, base, state) {
    node.className = base + " s-" + state;
  }

  function cell(row, text, className) {
    var td = row.insertCell();
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function drawSteps(steps) {
    var table = document.createElement("table");
    table.className = "steps";
    var head = table.createTHead().insertRow();
    ["At", "Line", "Status", "Message"].forEach(function (name) {
      var th = document.createElement("th");
      th.textContent = name;
      head.appendChild(th);
    });
    var body = table.createTBody();
    steps.forEach(function (step) {
      var row = body.insertRow();
      row.className = "step-" + step.status;
      var at = cell(row, (step.at || "").slice(11, 19), "nowrap");
      if (step.count > 1) {
        var times = document.createElement("span");
        times.className = "muted";
        times.textContent = " ×" + step.count;
        at.appendChild(times);
      }
      cell(row, step.line || "");
      cell(row, step.status);
      cell(row, step.message, "wrap");
    });
    var holder = byId("job-steps");
    holder.replaceChildren(table);
  }

  function markLine(line) {
    document.querySelectorAll(".sline.current").forEach(function (node) {
      if (Number(node.dataset.line) !== line) node.classList.remove("current");
    });
    if (!line) return;
    var current = document.querySelector('.sline[data-line="' + line + '"]');
    if (current && !current.classList.contains("current")) {
      current.classList.add("current");
      current.scrollIntoView({ block: "nearest" });
    }
  }

  function taskText(task) {
    if (!task) return "-";
    return task.module + "." + task.function + " (task " + task.id + ", " + task.state + ", attempt " + task.attempts + ")";
  }

  function callout(feed) {
    var node = byId("job-callout");
    var said = (feed.message || "").replace(/[.\s]+$/, "");
    var texts = {
      paused: "Paused, waiting for a person: " + said + ". Press Resume when that is done.",
      error: "In error: " + said + ". Reset retries the failed step; Rollback first undoes a failed remote call."
    };
    node.hidden = !texts[feed.state];
    if (texts[feed.state]) {
      node.textContent = texts[feed.state];
      setState(node, "callout", feed.state);
    }
  }

  function draw(feed) {
    callout(feed);
    var badge = byId("job-state");
    badge.textContent = feed.state;
    setState(badge, "badge", feed.state);
    var bar = byId("job-bar");
    bar.style.width = feed.progress + "%";
    setState(bar, "fill", feed.state);
    bar.parentNode.setAttribute("aria-valuenow", feed.progress);
    setText("job-percent", Number(feed.progress).toFixed(1) + "%");
    setText("job-message", feed.message);
    setText("job-block", feed.block);
    setText("job-line", feed.line);
    setText("job-task", taskText(feed.task));
    setText("job-elapsed", duration(feed.elapsed));
    setText("job-remaining", duration(feed.remaining));
    setText("job-vars", JSON.stringify(feed.variables, null, 2));
    markLine(feed.line);
    drawSteps(feed.steps);
    document.querySelectorAll("#job-actions button[data-action]").forEach(function (button) {
      button.disabled = !feed.actions[button.dataset.action];
    });
    setText("job-live", feed.active ? "Updating live." : "Finished.");
    panel.dataset.active = feed.active ? "1" : "0";
    panel.dataset.state = feed.state;
  }

  function poll() {
    fetch(feedUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 404) return null;
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (feed) {
        if (feed === null) {
          setText("job-live", "This job has been deleted; reload the page for its log.");
          return;
        }
        failures = 0;
        draw(feed);
        if (feed.active) window.setTimeout(poll, INTERVAL_MS);
      })
      .catch(function (error) {
        failures += 1;
        setText("job-live", "Cannot reach Contractor (" + error.message + "); retrying.");
        window.setTimeout(poll, Math.min(INTERVAL_MS * (failures + 1), 15000));
      });
  }

  callout(JSON.parse(byId("job-feed").textContent));
  if (panel.dataset.active === "1") window.setTimeout(poll, INTERVAL_MS);
})();
