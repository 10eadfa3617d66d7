// The officer page: the "Print summary" button (no inline scripts: the CSP forbids them).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("ga-print");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
});
