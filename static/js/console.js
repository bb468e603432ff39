// Page behaviours bound here instead of inline handlers: the Content-Security-Policy allows
// scripts only from the console's own files (see README, "Security").
function copyText(button, source) {
  // An input's value (a new API token) or an element's text (a kubectl snippet).
  var text = ("value" in source ? source.value : source.textContent).trim();
  var label = button.textContent;
  function say(message) {
    button.textContent = message;
    setTimeout(function () { button.textContent = label; }, 2000);
  }
  function selectIt() {
    // No clipboard (plain HTTP, no permission): select the text so Ctrl-C copies it.
    if (source.select) source.select();
    else window.getSelection().selectAllChildren(source);
    say(button.getAttribute("data-selected") || "Selected: press Ctrl-C");
  }
  if (!navigator.clipboard) return selectIt();
  navigator.clipboard.writeText(text).then(function () {
    say(button.getAttribute("data-copied") || "Copied");
  }, selectIt);
}

document.addEventListener("click", function (event) {
  var target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  if (target.closest("[data-print]")) {
    window.print();
    return;
  }
  var copy = target.closest("[data-copy-from]");
  if (copy) {
    var source = document.getElementById(copy.getAttribute("data-copy-from"));
    if (source) copyText(copy, source);
  }
});
