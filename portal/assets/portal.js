// Progressive enhancement only: every page works without this file.

// The error summary, as GOV.UK's works. When a form comes back with errors, focus moves to the
// summary so screen readers read it out. Each of its links leads to a question: without this
// script the browser jumps to the field; with it, the question's label or legend and its error
// message come into view too (a jump puts the field at the top edge, with both above it, out of
// sight), and the field takes the focus.
function questionOf(field) {
  return field.closest(".usa-form-group") || field.closest("fieldset") || field;
}

function bringQuestionIntoView(event) {
  const link = event.target.closest("a[href^='#']");
  const field = link && document.getElementById(link.hash.slice(1));
  if (!field) {
    return;
  }
  event.preventDefault();
  questionOf(field).scrollIntoView({ block: "start" });
  field.focus({ preventScroll: true });
}

document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.addEventListener("click", bringQuestionIntoView);
    summary.focus();
  }
});
