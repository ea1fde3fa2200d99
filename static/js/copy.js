// Issue 19: "Copy" buttons (data-copy-target="#id") put a read-only field's text on the clipboard
// and say so in a live region, so the calendar address need not be selected by hand on a phone.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy-target]");
  if (!button) return;
  var field = document.querySelector(button.getAttribute("data-copy-target"));
  var status = document.querySelector(button.getAttribute("data-copy-status"));
  if (!field) return;
  var done = function () { if (status) status.textContent = "Copied. Paste it into your calendar app."; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
  } else {
    field.select();
    document.execCommand("copy");
    done();
  }
});
