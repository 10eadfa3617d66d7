// The officer page: focus on the answer, and the "Print summary" button (no inline scripts: the CSP forbids them).
document.addEventListener("DOMContentLoaded", function () {
  // After a check, the answer's one-line summary takes the focus (so it is read out) and comes into view.
  var headline = document.getElementById("ga-headline");
  if (headline) {
    headline.focus();
    headline.scrollIntoView({block: "start"});
  }
  var button = document.getElementById("ga-print");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
});
