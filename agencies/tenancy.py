"""Who may see an agency's pages: the agency half of page tenancy.

`agency_member_required` sets `request.agency` from the caller's membership, and every agency
page query starts from it, so another agency's object is simply not found (404). A client of
that agency, and the client members' own pages, are `subaccounts.tenancy`'s half.
docs/permissions.md is the matrix these enforce.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from agencies.models import AgencyMembership


def agency_member_required(view=None, *, admin: bool = False):
    """Sets `request.agency` and `request.agency_membership`; 404 for non-members (and for
    agency staff when `admin=True`)."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            membership = (AgencyMembership.objects.select_related("agency")
                          .filter(user=request.user).order_by("created_at").first())
            if membership is None or admin and membership.role != AgencyMembership.Role.ADMIN:
                raise Http404("No agency here.")
            request.agency = membership.agency
            request.agency_membership = membership
            return view(request, *args, **kwargs)
        return wrapped

    return decorate(view) if view else decorate


def is_admin(request) -> bool:
    """Whether the caller of a page behind `agency_member_required` is an agency admin (staff
    may look, admins change things)."""
    return request.agency_membership.role == AgencyMembership.Role.ADMIN
