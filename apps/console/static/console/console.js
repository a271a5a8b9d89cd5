// Pickers: ticking a search result moves it into the selected list (so a new search keeps
// it); unticking a selected entry removes it. The checkboxes carry the form field's name, so
// the enclosing form submits exactly the selected values, with or without this script.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") return;
  var picker = box.closest(".picker");
  if (!picker) return;
  var selected = picker.querySelector(".picker-selected");
  var item = box.closest("li");
  if (box.checked && !selected.contains(item)) {
    var already = selected.querySelector('input[value="' + CSS.escape(box.value) + '"]');
    if (already) { item.remove(); return; }
    selected.appendChild(item);
  } else if (!box.checked && selected.contains(item)) {
    item.remove();
  }
});

// Copy buttons: <button type="button" data-copy="#element-id">…</button> copies the element's
// text (interface details, invitation links, a secret shown once) and says so.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.value !== undefined ? source.value : source.textContent.trim()).then(function () {
    button.setAttribute("data-copied", "true");
    button.textContent = button.dataset.copiedLabel || "✓";
  });
});
