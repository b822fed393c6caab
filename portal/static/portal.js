// Progressive enhancement only: every page works without this file.
// When a form comes back with errors, move focus to the error summary so screen readers hear it.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
});
