/* Forms that guide (GOV.UK patterns), served from our own static files (CSP: no inline scripts).
 * 1. A page that came back with problems moves focus to its error summary, so keyboard and
 *    screen-reader users start at the list of what to fix.
 * 2. A text box with a limit shows how many characters are left (never silent truncation).
 * 3. Parts of a form shown only for one answer: data-show-when="field=value[,value]".
 * 4. "Mark all as" buttons set every radio group in a list to one answer at once. */
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
      summary.scrollIntoView();
    }
  }

  function characterCount(textarea) {
    var limit = parseInt(textarea.getAttribute("maxlength"), 10);
    if (!limit) { return; }
    var message = document.createElement("div");
    message.className = "form-text character-count";
    message.id = (textarea.id || textarea.name) + "-count";
    message.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", message);
    var described = textarea.getAttribute("aria-describedby");
    textarea.setAttribute("aria-describedby", (described ? described + " " : "") + message.id);
    function update() {
      var left = limit - textarea.value.length;
      message.textContent = left >= 0
        ? "You have " + left + " character" + (left === 1 ? "" : "s") + " remaining"
        : "You have " + (-left) + " character" + (left === -1 ? "" : "s") + " too many";
      message.classList.toggle("text-danger", left < 0);
    }
    textarea.addEventListener("input", update);
    update();
  }

  function conditionalParts(form) {
    var parts = form.querySelectorAll("[data-show-when]");
    if (!parts.length) { return; }
    function refresh() {
      parts.forEach(function (part) {
        var rule = part.getAttribute("data-show-when").split("=");
        var wanted = rule[1].split(",");
        var chosen = form.querySelector("[name='" + rule[0] + "']:checked");
        var show = chosen && wanted.indexOf(chosen.value) !== -1;
        part.hidden = !show;
      });
    }
    form.addEventListener("change", refresh);
    refresh();
  }

  function markAll(button) {
    // Without JavaScript the button posts the form back with every answer set (see sessionlogs.views).
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var value = button.getAttribute("data-mark-all");
      var scope = document.querySelector(button.getAttribute("data-mark-all-scope")) || button.form;
      scope.querySelectorAll("select").forEach(function (select) {
        if (select.querySelector("option[value='" + value + "']")) {
          select.value = value;
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
      scope.querySelectorAll("input[type=radio][value='" + value + "']").forEach(function (radio) {
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
      });
      var status = document.getElementById(button.getAttribute("aria-controls") + "-status");
      if (status) { status.textContent = button.getAttribute("data-mark-all-done") || "Done."; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    document.querySelectorAll("textarea[maxlength]").forEach(characterCount);
    document.querySelectorAll("form").forEach(conditionalParts);
    document.querySelectorAll("[data-mark-all]").forEach(markAll);
  });
})();
