// Confirmation before destructive actions: a submit button (or form) with data-confirm asks
// first. No inline handlers, so a strict Content-Security-Policy can be added later.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
