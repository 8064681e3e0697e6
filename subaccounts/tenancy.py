"""Who may see which client: the sub-account half of page tenancy.

An agency page finds one of its clients through `agency_subaccount` (from `request.agency`,
set by `agencies.tenancy.agency_member_required`); a client member's page gets
`request.sub_account` from `client_member_required`. So another tenant's object is simply not
found (404). The API and tasks use `agency_subaccounts` / `subaccount_for_agency`, the same
scoping without a request. docs/permissions.md is the matrix these enforce.
"""

import uuid
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from hoopbilling.errors import NotFound
from subaccounts.models import ClientMembership, SubAccount


def agency_subaccounts(agency):
    """Every client of `agency`, and nothing else: the queryset tenant-scoped code starts from."""
    return SubAccount.objects.select_related("agency").filter(agency=agency)


def subaccount_for_agency(agency, pk) -> SubAccount:
    """One of `agency`'s clients for the API and tasks, or `NotFound` (404 `not_found`) — for
    another agency's client and for an id that is not even a UUID alike."""
    try:
        pk = pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))
    except ValueError as exc:
        raise NotFound("No such sub-account.", field="sub_account") from exc
    sub_account = agency_subaccounts(agency).filter(pk=pk).first()
    if sub_account is None:
        raise NotFound("No such sub-account.", field="sub_account")
    return sub_account


def agency_subaccount(request, pk) -> SubAccount:
    """One of the caller's agency's clients, or 404."""
    return get_object_or_404(agency_subaccounts(request.agency), pk=pk)


def client_member_required(view=None, *, billing: bool = False):
    """For client pages under `<uuid:sub_account_id>`: sets `request.sub_account` and
    `request.client_membership`; 404 for non-members (and, with `billing=True`, for members
    without the billing permission)."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, sub_account_id, *args, **kwargs):
            membership = (ClientMembership.objects.select_related("sub_account__agency")
                          .filter(user=request.user, sub_account_id=sub_account_id).first())
            if membership is None or billing and not membership.can_manage_billing:
                raise Http404("No account here.")
            request.sub_account = membership.sub_account
            request.client_membership = membership
            return view(request, sub_account_id, *args, **kwargs)
        return wrapped

    return decorate(view) if view else decorate
