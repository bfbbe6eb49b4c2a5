// The few lines of JavaScript we need. htmx drops 4xx/5xx responses silently: say something.
document.addEventListener("htmx:responseError", function (event) {
  var status = event.detail.xhr.status;
  var box = document.getElementById("htmx-error");
  if (!box) {
    box = document.createElement("div");
    box.id = "htmx-error";
    box.className = "toast error";
    box.setAttribute("role", "alert");
    document.body.appendChild(box);
  }
  box.textContent = status === 403 ? "You may not do this." :
    status === 404 ? "Not found." : "Something went wrong (" + status + "). Please try again.";
});
