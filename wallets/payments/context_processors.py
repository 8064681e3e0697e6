"""What every page's nav shows of payments: the agency's unread notifications."""

from django.db.models import Subquery

from agencies.models import AgencyMembership
from wallets.payments.models import Notification


def unread_notifications(request) -> dict:
    """`unread_notifications` for an agency user: one COUNT on the partial index of unread
    rows (the agency found in the same query when the view did not set `request.agency`).
    Computed only if the page shows it (a lazy callable in the template)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        agency = getattr(request, "agency", None)
        if agency is not None:
            agency_id = agency.pk
        else:
            agency_id = Subquery(AgencyMembership.objects.filter(user=user)
                                 .order_by("created_at").values("agency_id")[:1])
        return Notification.objects.filter(agency_id=agency_id, read_at__isnull=True).count()

    return {"unread_notifications": count}
