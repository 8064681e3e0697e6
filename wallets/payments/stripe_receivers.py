"""dj-stripe receivers: adapters from a verified Stripe event to `wallets.payment_events`.

dj-stripe sends these once per event id, inside its own transaction, after checking the
signature; the event is applied by a worker after that commits (see `payment_events`).
"""

from djstripe.event_handlers import djstripe_receiver

from wallets.payments.stripe_events import HANDLED_EVENTS, payment_event_receive


@djstripe_receiver(HANDLED_EVENTS)
def stripe_event_record(sender, event, **kwargs):
    payment_event_receive(event_id=event.id, type=event.type)
