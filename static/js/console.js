// Page behaviours bound here instead of inline handlers: the Content-Security-Policy allows
// scripts only from the console's own files (see README, "Security").
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
    if (source && navigator.clipboard) navigator.clipboard.writeText(source.textContent);
  }
});
