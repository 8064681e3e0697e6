/* Card entry (SetupIntent) and payment authentication with Stripe.js.
   Stripe.js must be loaded from js.stripe.com (Stripe forbids self-hosting it); this
   installation loads nothing from third-party sites, so when `Stripe` is absent the page
   keeps its explanatory notice and its fallback form. */
(function () {
  "use strict";
  if (typeof window.Stripe !== "function") { return; }
  var box = document.getElementById("stripe-authenticate");
  if (!box) { return; }
  var stripe = window.Stripe(box.dataset.publishableKey);
  var notice = document.getElementById("stripe-unavailable");
  if (notice) { notice.textContent = "Confirming with your bank…"; }
  stripe.confirmCardPayment(box.dataset.clientSecret).then(function (result) {
    if (notice) {
      notice.textContent = result.error ? result.error.message
        : "Confirmed. Press the button below to update your balance.";
    }
  });
}());
