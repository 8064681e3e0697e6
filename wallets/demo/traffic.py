"""Realistic usage events for the demo: what a marketing platform sends for its clients.

Used twice: `seed_demo` replays 90 days of it (`wallets.demo`), `simulate_usage` sends it
live to the usage API. The mix covers what the meter has to get right: SMS bodies in GSM-7,
with extension characters (two septets each), long enough to be split, and with emoji
(UCS-2); MMS; calls of every length including missed ones (0 s); transactional email in
bulk and weekly newsletters; verification lookups; premium workflow actions; AI copy counted
in words; review requests.
"""

import math
import random
from datetime import datetime, timedelta

FIRST_NAMES = ["Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Chloé", "Mateo", "Priya", "Owen",
               "Hana", "Lucas", "Sofia", "Jack", "Amara", "Leo"]
PLACES = ["Bluebird Dental", "Cedar Roofing", "Harbor Yoga", "Maple Street Bakery",
          "Summit Auto Repair", "Oakridge Realty", "Lakeside Fitness", "Greenleaf Landscaping"]

SMS_TEMPLATES = [
    # GSM-7, one segment
    "Hi {name}, this is a reminder of your appointment at {place} tomorrow at {time}. "
    "Reply C to confirm or R to reschedule.",
    "{place}: your order #{code} is ready for pickup. Open until 6pm today.",
    "Thanks for visiting {place}, {name}! How did we do? Leave a quick review: "
    "https://rv.example.com/{code}",
    # extension characters: € [ ] ~ ^ { } | count twice
    "{place}: your invoice of €{amount} is due on {date}. Pay online: "
    "https://pay.example.com/{code}",
    "[VIP] {name}, use code {code} for ~20% off this week only ^^ {{members only}}",
    # long GSM-7: two or three segments
    "Hi {name}, spring is here and {place} is booking fast! We have a few openings left "
    "next week on Tuesday and Thursday mornings. Book online at https://book.example.com/"
    "{code} or reply YES and we will call you back to find a time that works. Reply STOP "
    "to opt out.",
    # emoji: UCS-2, 70 units in one segment
    "Hi {name}! 🎉 Your booking at {place} is confirmed. See you soon 😊",
    "🔥 Flash sale at {place} – 2 days only! Show this text for 15% off 🛍️",
    # long UCS-2: several segments
    "Hello {name} 👋 Thank you for choosing {place}! Your next visit is on {date} at "
    "{time}. Please arrive 10 minutes early 🙏 Need to change it? Just reply to this "
    "message and our team will help ✨",
]

AI_COPY = (
    "our team helps local families with friendly service and honest prices every single "
    "day this spring we are proud to offer new appointments flexible hours and a warm "
    "welcome to everyone in the neighbourhood book today and discover why customers keep "
    "coming back for quality care attention to detail and results you can see listing "
    "features bright open kitchen quiet street close to schools parks and shops"
)
AI_WORDS = AI_COPY.split()

MINUTES = [0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 7, 9, 12, 18, 26]


def sms_body(rng: random.Random, place: str | None = None) -> str:
    template = rng.choice(SMS_TEMPLATES)
    return template.format(
        name=rng.choice(FIRST_NAMES), place=place or rng.choice(PLACES),
        time=f"{rng.randint(8, 17)}:{rng.choice(['00', '15', '30', '45'])}",
        date=f"{rng.randint(1, 28)} {rng.choice(['May', 'June', 'July', 'August'])}",
        code=f"{rng.randrange(16 ** 6):06X}",
        amount=f"{rng.randint(20, 480)}.{rng.randint(0, 99):02d}")


def call_seconds(rng: random.Random) -> int:
    """Missed calls (0 s), quick calls and the occasional long one."""
    minutes = rng.choice(MINUTES)
    return 0 if minutes == 0 else max(1, minutes * 60 - rng.randint(0, 59))


def ai_text(rng: random.Random) -> str:
    return " ".join(rng.choice(AI_WORDS) for _ in range(rng.randint(40, 320)))


def poisson(rng: random.Random, mean: float) -> int:
    """A count around `mean` (normal approximation; small means by Knuth's method)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


# What one client sends, per kind of traffic: (item, how an event is measured).
KINDS = {
    "sms": "sms_outbound",
    "mms": "mms_outbound",
    "call_in": "call_inbound",
    "call_out": "call_outbound",
    "email": "email_send",
    "verify": "email_verification",
    "workflow": "workflow_premium",
    "ai": "content_ai",
    "review": "review_request",
}
# Traffic counted in bulk: one event carries the window's quantity.
BULK = {"email", "verify", "workflow"}


def event_of(rng: random.Random, kind: str, *, place: str | None = None,
             count: int = 1) -> dict:
    """One event of a kind of traffic (without sub-account or key); bulk kinds carry
    `count` as their quantity."""
    item = KINDS[kind]
    if kind in BULK:
        return {"item": item, "quantity": str(count)}
    if kind == "sms":
        return {"item": item, "message_body": sms_body(rng, place)}
    if kind in ("call_in", "call_out"):
        return {"item": item, "duration_seconds": call_seconds(rng)}
    if kind == "ai":
        return {"item": item, "text": ai_text(rng)}
    return {"item": item, "quantity": "1"}


def traffic_events(rng: random.Random, *, sub_account_id: str, daily: dict[str, float],
                   scale: float, place: str | None = None, start: datetime | None = None,
                   end: datetime | None = None) -> list[dict]:
    """Events (without idempotency keys) for one client over a window that holds `scale`
    of a day's traffic. With `start`/`end` each event gets an `occurred_at` inside them."""
    events = []
    for kind, mean in daily.items():
        count = poisson(rng, mean * scale)
        if count == 0:
            continue
        if kind in BULK:
            events.append(event_of(rng, kind, count=count))
            continue
        events.extend(event_of(rng, kind, place=place) for _ in range(count))
    for event in events:
        event["sub_account"] = sub_account_id
        if start is not None and end is not None:
            offset = rng.uniform(0, (end - start).total_seconds())
            event["occurred_at"] = (start + timedelta(seconds=offset)).isoformat()
    if start is not None:
        events.sort(key=lambda event: event["occurred_at"])
    return events
