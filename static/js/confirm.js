/* Confirmation before destructive actions without inline script (the Content-Security-Policy
   allows scripts from our own static files only): a button or link with data-confirm="…"
   asks first and cancels the click unless the user agrees. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
}());
