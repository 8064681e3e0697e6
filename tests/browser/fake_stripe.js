/* A stand-in for Stripe.js v3 in the browser tests: the calls static/js/stripe-pages.js
   makes. Elements' card field is a plain text box (#fake-card-number); the card number
   4000 0000 0000 0002 is declined, as in Stripe's test mode. Confirming a SetupIntent answers
   its id (a client secret is "<id>_secret_<…>"); the test records on the fake Stripe server
   what Stripe's servers would (the card attached). */
window.Stripe = function (publishableKey) {
  var input = null;
  return {
    elements: function () {
      return {create: function () {
        return {mount: function (selector) {
          input = document.createElement("input");
          input.id = "fake-card-number";
          input.dataset.publishableKey = publishableKey;
          document.querySelector(selector).appendChild(input);
        }};
      }};
    },
    confirmCardPayment: function (clientSecret) {
      return Promise.resolve({paymentIntent: {id: clientSecret.split("_secret_")[0],
                                              status: "succeeded"}});
    },
    confirmCardSetup: function (clientSecret) {
      if (input.value.replace(/ /g, "") === "4000000000000002") {
        return Promise.resolve({error: {message: "Your card was declined."}});
      }
      return Promise.resolve({setupIntent: {id: clientSecret.split("_secret_")[0],
                                            status: "succeeded"}});
    }
  };
};
