"""The platform's catalog as launched: the nine billable items
(docs/api.md#item-codes-and-measurement) and their launch base costs, loaded into the
historical `agencies` models. The catalog has lived in `subaccounts.pricing` since (subaccounts
0004); this migration keeps its own copy of what it loaded, as a migration must. Later base
costs are new effective-dated rows (`base_cost_set`), later names the operators' edits.
"""

from datetime import UTC, datetime
from decimal import Decimal

from django.db import migrations

from hoopbilling.money import quantize_amount

LAUNCH = datetime(2025, 1, 1, tzinfo=UTC)

# code, name, unit, price_per, category, USD base cost per `price_per` units
ITEMS = [
    ("sms_outbound", "Outbound SMS", "segment", 1, "messaging", "0.0079"),
    ("mms_outbound", "Outbound MMS", "message", 1, "messaging", "0.0200"),
    ("call_inbound", "Inbound call", "minute", 1, "calling", "0.0085"),
    ("call_outbound", "Outbound call", "minute", 1, "calling", "0.0140"),
    ("email_send", "Email", "email", 1000, "email", "0.675"),
    ("email_verification", "Email verification", "lookup", 1, "email", "0.0025"),
    ("workflow_premium", "Premium workflow action", "action", 1, "automation", "0.0100"),
    ("content_ai", "Content AI", "word", 1, "ai", "0.00009"),
    ("review_request", "Review request", "request", 1, "reviews", "0.0100"),
]

# Launch costs in the other billing currencies, converted at a fixed rate and kept to six
# places; operators set real local costs in the admin from then on.
LAUNCH_RATES = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "CAD": Decimal("1.37"),
    "AUD": Decimal("1.52"),
}


def catalog_load(BillableItem, BaseCost) -> None:
    """Create the items and their launch costs where missing (safe to run again).

    Takes the model classes: this migration passes its historical ones; a test database
    emptied by a flush is given the catalog back with the current ones (tests/conftest.py).
    """
    for position, (code, name, unit, price_per, category, usd) in enumerate(ITEMS):
        item, _ = BillableItem.objects.update_or_create(
            code=code, defaults={"name": name, "unit": unit, "price_per": price_per,
                                 "category": category, "position": position},
        )
        for currency, rate in LAUNCH_RATES.items():
            launch_cost = BaseCost.objects.filter(item=item, cost_currency=currency,
                                                  effective_from=LAUNCH)
            if not launch_cost.exists():
                BaseCost.objects.create(item=item, cost_currency=currency, effective_from=LAUNCH,
                                        cost=quantize_amount(Decimal(usd) * rate))


def load_catalog(apps, schema_editor):
    catalog_load(apps.get_model("agencies", "BillableItem"), apps.get_model("agencies", "BaseCost"))


class Migration(migrations.Migration):
    dependencies = [("agencies", "0001_initial")]

    operations = [migrations.RunPython(load_catalog, migrations.RunPython.noop)]
