// The few lines of JavaScript we need. htmx drops 4xx/5xx responses (and lost connections)
// silently: say something. The words come translated from the page (data-error-* on <body>).
function showHtmxError(text) {
  var box = document.getElementById("htmx-error");
  if (!box) {
    box = document.createElement("div");
    box.id = "htmx-error";
    box.className = "toast error";
    box.setAttribute("role", "alert");
    document.body.appendChild(box);
  }
  box.textContent = text;
}
document.addEventListener("htmx:responseError", function (event) {
  var status = event.detail.xhr.status;
  var words = document.body.dataset;
  showHtmxError(status === 400 ? words.error400 : status === 403 ? words.error403 :
    status === 404 ? words.error404 : words.errorOther + " (" + status + ")");
});
document.addEventListener("htmx:sendError", function () {
  showHtmxError(document.body.dataset.errorOther);
});
// A new successful swap clears an old error.
document.addEventListener("htmx:afterSwap", function () {
  var box = document.getElementById("htmx-error");
  if (box) { box.remove(); }
});
// Tabs: arrow keys, Home and End move between the tabs of a tablist (WAI-ARIA tabs pattern);
// Tab and Enter keep working as on any link, with or without JavaScript.
document.addEventListener("keydown", function (event) {
  var tab = event.target.closest && event.target.closest('[role="tab"]');
  if (!tab) { return; }
  var tabs = Array.prototype.slice.call(tab.closest('[role="tablist"]').querySelectorAll('[role="tab"]'));
  var i = tabs.indexOf(tab);
  var next = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1}[event.key];
  if (next === undefined) { return; }
  event.preventDefault();
  tabs[(next + tabs.length) % tabs.length].focus();
});
// The language switch returns to the page being shown: after htmx pushed a tab's URL, the
// server-rendered "next" still names the page first loaded.
document.addEventListener("submit", function (event) {
  var next = event.target.querySelector && event.target.querySelector('input[name="next"]');
  if (next && event.target.matches("form.lang")) {
    next.value = window.location.pathname + window.location.search;
  }
});
// Copy buttons (bank transfer details): copy data-copy, say so in the button for two seconds.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button[data-copy]");
  if (!button || !navigator.clipboard) { return; }
  navigator.clipboard.writeText(button.dataset.copy).then(function () {
    var label = button.textContent;
    button.textContent = button.dataset.copied;
    setTimeout(function () { button.textContent = label; }, 2000);
  });
});
