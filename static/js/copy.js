/* A "Copy" button next to a value shown once (a webhook endpoint's signing secret): a button
   with data-copy="<element id>" puts that element's text on the clipboard and says so. A
   static file, since the Content-Security-Policy runs scripts from our own files only. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) {
      return;
    }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) {
      return;
    }
    if (!navigator.clipboard) {  // not a secure context: select it for Ctrl+C instead
      window.getSelection().selectAllChildren(source);
      return;
    }
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "Copied";
    });
  });
}());
