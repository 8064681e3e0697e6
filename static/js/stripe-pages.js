/* Card entry (SetupIntent) and payment authentication with Stripe.js.
   Stripe.js must be loaded from js.stripe.com (Stripe forbids self-hosting it): the card
   page loads it from STRIPE_JS_URL when Stripe is configured (the one third-party script,
   allowed by that page's own Content-Security-Policy). When `Stripe` is absent (offline,
   or no Stripe keys) the page keeps its explanatory notice and its fallback form. */
(function () {
  "use strict";
  if (typeof window.Stripe !== "function") { return; }
  var setup = document.getElementById("stripe-card-setup");
  if (setup) {
    var stripeJs = window.Stripe(setup.dataset.publishableKey);
    var card = stripeJs.elements().create("card");
    var status = document.getElementById("stripe-unavailable");
    card.mount("#stripe-card-element");
    status.textContent = "";
    setup.addEventListener("submit", function (event) {
      if (setup.elements.setup_intent.value) { return; }
      event.preventDefault();
      status.textContent = "Checking the card with your bank…";
      stripeJs.confirmCardSetup(setup.dataset.clientSecret, {payment_method: {card: card}})
        .then(function (result) {
          if (result.error) { status.textContent = result.error.message; return; }
          setup.elements.setup_intent.value = result.setupIntent.id;
          setup.submit();
        });
    });
    return;
  }
  var box = document.getElementById("stripe-authenticate");
  if (!box) { return; }
  var stripe = window.Stripe(box.dataset.publishableKey);
  var notice = document.getElementById("stripe-unavailable");
  if (notice) { notice.textContent = "Confirming with your bank…"; }
  stripe.confirmCardPayment(box.dataset.clientSecret).then(function (result) {
    if (result.error) {
      if (notice) { notice.textContent = result.error.message; }
      return;
    }
    if (notice) { notice.textContent = "Confirmed: updating your balance…"; }
    document.getElementById("stripe-authenticated").submit();  // the server asks Stripe
  });
}());
