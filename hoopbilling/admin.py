"""The operators' control room: shared pieces of every app's admin, and failed logins.

- `ReadOnlyAdmin` for append-only records (the ledger, usage charges, the audit log).
- `admin_link` / `changelist_link`: the links between related objects.
- `form_action`: an admin action with an intermediate page (a required reason, an amount)
  that calls a service per selected object and turns typed domain errors into messages.
- `changes_audit` / `formset_audit`: the audit row for an admin edit that no service
  writes (catalog names, memberships), in the admin's own transaction.
- `DatabaseHistoryAdmin`: the database history (`hoopbilling.history`), every tracked
  table's events in one read-only list, by model or object, with what changed, who and where.
  pghistory's admin app registers it (settings `PGHISTORY_ADMIN_CLASS`) and adds an "Events"
  link to each tracked model's admin pages.

Outgoing emails (the outbox of `hoopbilling.mail`) are listed read-only: what was sent,
what is waiting for its next try and why, what was given up.

The audit log's own page filters by agency, so it is registered by `agencies.admin`.
"""

import uuid
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import quote
from django.db import connection, transaction
from django.db.models import Model
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from pghistory.admin import EventsAdmin

from hoopbilling.audit import audit_record
from hoopbilling.errors import DomainError
from hoopbilling.models import FailedLogin, OutgoingEmail


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records: viewable, never added, changed or deleted from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceSaveAdmin(admin.ModelAdmin):
    """An admin whose saves go through services: a `DomainError` a service raises after the
    form validated rolls the save back (nothing written) and shows as an error message."""

    def refusal_message(self, exc: DomainError) -> str:
        return exc.message

    def _changeform_view(self, request, object_id, form_url, extra_context):
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            transaction.set_rollback(True)
            self.message_user(request, self.refusal_message(exc), messages.ERROR)
            return self.response_post_save_change(request, None) if object_id else \
                self.response_post_save_add(request, None)


def admin_url(obj: Model) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])


def admin_link(obj: Model | None, text=None) -> str:
    if obj is None:
        return "—"
    return format_html('<a href="{}">{}</a>', admin_url(obj), text if text is not None else obj)


def changelist_link(model, text, **filters) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), text)


def money_text(value) -> str:
    """Money as stored (up to 6 places): djmoney's own formatting rounds to cents."""
    return "—" if value is None else f"{value.amount.normalize():f} {value.currency.code}"


def money_column(field: str, description: str | None = None):
    """A list/readonly column showing a MoneyField unrounded."""
    def column(self, obj):
        return money_text(getattr(obj, field))
    return admin.display(description=description or field.replace("_", " "),
                         ordering=field)(column)


def may_correct(request) -> bool:
    """Corrections (posting ledger entries by hand) need the `wallets.add_entry` permission."""
    return request.user.has_perm("wallets.add_entry")


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             max_length=1000, help_text="Kept in the audit log.")


def form_action(modeladmin, request, queryset, *, form_class, title: str, apply,
                done: str, initial=None):
    """Show `form_class` for the selected objects until it is valid, then call
    `apply(obj, cleaned_data)` for each; a `DomainError` becomes an error message naming the
    object and the others still apply. Returns None (back to the change list) when done."""
    form = form_class(request.POST if "apply" in request.POST else None, initial=initial or {})
    if form.is_bound and form.is_valid():
        applied = 0
        for obj in queryset:
            try:
                apply(obj, form.cleaned_data)
            except DomainError as exc:
                modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
            else:
                applied += 1
        if applied:
            modeladmin.message_user(request, done.format(count=applied), messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "form": form,
        "objects": list(queryset[:100]),
        "count": queryset.count(),
        "action": request.POST.get("action", ""),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "token": request.POST.get("token") or uuid.uuid4().hex,
    }
    return TemplateResponse(request, "admin/hoopbilling/action_form.html", context)


def _jsonable(value):
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, list | dict | bool | int | str) or value is None:
        return value
    return str(value)


def changes_audit(request, obj: Model, *, changed: list[str], before: dict, added: bool,
                  agency_id=None) -> None:
    """One audit row for an admin add or change no service writes."""
    if not changed and not added:
        return
    audit_record(
        action=f"{obj._meta.model_name}.admin_{'add' if added else 'change'}", obj=obj,
        actor=request.user, agency_id=agency_id,
        before=None if added else {f: _jsonable(before.get(f)) for f in changed},
        after={f: _jsonable(getattr(obj, f, None)) for f in changed})


def formset_audit(request, formset, *, agency_id=None) -> None:
    """Save an inline formset, writing one audit row per added, changed or deleted row."""
    befores = {form.instance.pk: {f: form.initial.get(f) for f in form.changed_data}
               for form in formset.initial_forms}
    instances = formset.save()
    for obj in formset.deleted_objects:
        audit_record(action=f"{obj._meta.model_name}.admin_delete", obj=obj,
                     actor=request.user, agency_id=agency_id, before={"row": str(obj)})
    for obj, changed in formset.changed_objects:
        changes_audit(request, obj, changed=changed, before=befores.get(obj.pk, {}),
                      added=False, agency_id=agency_id)
    for obj in formset.new_objects:
        fields = [f.name for f in obj._meta.concrete_fields if not f.primary_key]
        changes_audit(request, obj, changed=fields, before={}, added=True, agency_id=agency_id)
    return instances


@admin.register(FailedLogin)
class FailedLoginAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "username", "ip_address", "user", "path"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "created_at"


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "to", "subject", "status", "attempts", "sent_at",
                    "delivery_event"]
    list_filter = ["status", "delivery_event"]
    search_fields = ["to", "subject", "dedupe_key"]
    date_hierarchy = "created_at"


class DatabaseHistoryAdmin(EventsAdmin):
    """pghistory's events list: read-only (no add, change or delete), filtered by event label
    and model, or one object's events (`?obj=<app.Model>:<pk>&method=tracks`, the "Events"
    link of its page). Its query is PostgreSQL's (JSONB, the diff with the object's previous
    event); on SQLite, which records no history, the list is empty."""

    list_display = ["when", "event", "tracked_model", "object_id", "changes", "user", "url"]

    def get_list_display(self, request):
        return self.list_display

    @admin.display(description="when", ordering="pgh_created_at")
    def when(self, event):
        return event.pgh_created_at

    @admin.display(description="event", ordering="pgh_label")
    def event(self, event):
        return event.pgh_label

    @admin.display(description="model", ordering="pgh_obj_model")
    def tracked_model(self, event):
        return event.pgh_obj_model

    @admin.display(description="object")
    def object_id(self, event):
        return event.pgh_obj_id

    @admin.display(description="changes (old → new)")
    def changes(self, event):
        """The fields that differ from the object's previous event; "—" for its first."""
        return "; ".join(f"{field}: {old} → {new}"
                         for field, (old, new) in (event.pgh_diff or {}).items()) or "—"

    def get_list_filter(self, request):
        return super().get_list_filter(request) if connection.vendor == "postgresql" else []

    def get_queryset(self, request):
        if connection.vendor != "postgresql":
            return self.model.no_objects.all()
        return super().get_queryset(request)

    def changelist_view(self, request, extra_context=None):
        if connection.vendor != "postgresql":
            self.message_user(request, f"The database history is recorded on PostgreSQL only: "
                              f"this {connection.display_name} database has none.",
                              messages.INFO)
        return super().changelist_view(request, extra_context)
