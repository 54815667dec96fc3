// The console's only script (served by the node; the pages work without it): ask before a
// form whose effect is hard to undo (rotating a secret, disabling, closing an agency).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
