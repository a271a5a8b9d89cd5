// Confirmation before destructive actions: a submit button (or form) with data-confirm asks
// first. No inline handlers, so a strict Content-Security-Policy can be added later.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Copy buttons: <button type="button" data-copy="#id"> copies that element's text.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button[data-copy]");
  var source = button && document.querySelector(button.dataset.copy);
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.innerText.trim());
  }
});
