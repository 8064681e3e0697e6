"""`audit_record`: the one writer of the audit log."""

from django.db import transaction
from moneyed import Money

from hoopbilling.models import AuditLog


def audit_value(value):
    """A setting as an audit row's before/after keeps it: an amount as its decimal text
    (its currency is the agency's), anything else as it is."""
    return str(value.amount) if isinstance(value, Money) else value


def audit_record(
    *, action: str, obj, actor=None, actor_label: str = "", agency_id=None,
    before=None, after=None, reason: str = "",
) -> AuditLog:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it logs")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditLog.objects.create(
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        actor=actor,
        actor_label=actor_label or (getattr(actor, "email", "") if actor else "system"),
        agency_id=agency_id,
        before=before,
        after=after,
        reason=reason,
    )
