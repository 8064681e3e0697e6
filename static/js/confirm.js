/* Confirmation before destructive actions without inline script (the Content-Security-Policy
   allows scripts from our own static files only):
   - a button or link with data-confirm="…" asks first and cancels the click unless the user
     agrees;
   - a form control with data-confirm-change="…" asks when its form is submitted with the
     control changed from how the page showed it (a switch turned off, an own price ended). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  function changed(control) {
    if (control.type === "checkbox" || control.type === "radio") {
      return control.checked !== control.defaultChecked;
    }
    if (control.tagName === "SELECT") {
      return Array.prototype.some.call(control.options, function (option) {
        return option.selected !== option.defaultSelected;
      });
    }
    return control.value !== control.defaultValue;
  }

  document.addEventListener("submit", function (event) {
    var controls = event.target.querySelectorAll("[data-confirm-change]");
    for (var i = 0; i < controls.length; i += 1) {
      if (changed(controls[i])
          && !window.confirm(controls[i].getAttribute("data-confirm-change"))) {
        event.preventDefault();
        return;
      }
    }
  });
}());
