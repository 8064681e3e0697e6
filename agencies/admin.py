"""Agencies, their people and API keys in the operators' admin.

Every change goes through a service and so writes an audit row: agency settings through
`agency_update` / `agency_operator_update`. Higher apps extend the agency's page by
re-registering it: `subaccounts.admin` checks the blocked items against the catalog, and
`wallets.admin` adds the platform's bill (it reads usage charges). The catalog, base costs
and prices are `subaccounts.pricing.admin`'s.

The audit log (`hoopbilling.models.AuditLog`) is registered here too: its list filters by
agency, which `hoopbilling` may not know.
"""

from urllib.parse import urlencode

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from agencies.models import Agency, AgencyMembership, ApiKey
from agencies.services import (
    OPERATOR_FIELDS,
    agency_create,
    agency_operator_update,
    agency_update,
    api_key_revoke,
)
from hoopbilling.admin import (
    ReadOnlyAdmin,
    ReasonForm,
    ServiceSaveAdmin,
    changelist_link,
    form_action,
    formset_audit,
)
from hoopbilling.errors import DomainError
from hoopbilling.models import AuditLog

AGENCY_SERVICE_FIELDS = {"name", "rebilling_enabled", "retry_schedule_hours"}


def _domain_error_to_form(form, exc: DomainError):
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


class AgencyMembershipInline(admin.TabularInline):
    model = AgencyMembership
    extra = 0
    autocomplete_fields = ["user"]


class AgencyAddForm(forms.ModelForm):
    admin_email = forms.EmailField(help_text="The agency's first admin (a new user).")

    class Meta:
        model = Agency
        fields = ["name", "currency", "plan_rebilling_allowed"]


class AgencyChangeForm(forms.ModelForm):
    new_restricted_key = forms.CharField(
        required=False, strip=True, widget=forms.PasswordInput(render_value=False),
        label="Replace restricted key", help_text="Never shown again once saved.")
    remove_restricted_key = forms.BooleanField(required=False)

    class Meta:
        model = Agency
        fields = ["name", "plan_rebilling_allowed", "rebilling_enabled", "retry_schedule_hours",
                  "billing_anchor_day", "suspension_blocked_items", "stripe_account_id"]


def stripe_key_masked(key: str) -> str:
    return f"{key[:8]}…{key[-4:]}" if len(key) > 12 else ("set" if key else "")


@admin.register(Agency)
class AgencyAdmin(ServiceSaveAdmin):
    list_display = ["name", "currency", "plan_rebilling_allowed", "rebilling_enabled",
                    "stripe_connection", "sub_accounts_link", "created_at"]
    list_filter = ["plan_rebilling_allowed", "rebilling_enabled", "currency"]
    search_fields = ["name", "id", "stripe_account_id"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "currency", "stripe_connection", "sub_accounts_link",
                       "audit_link", "created_at"]
    inlines = [AgencyMembershipInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = AgencyChangeForm if obj else AgencyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["name", "currency", "plan_rebilling_allowed",
                                       "admin_email"]})]
        return [
            (None, {"fields": ["id", "name", "currency", "created_at", "sub_accounts_link",
                               "audit_link"]}),
            ("Plan and rebilling", {"fields": ["plan_rebilling_allowed", "rebilling_enabled",
                                               "retry_schedule_hours", "billing_anchor_day",
                                               "suspension_blocked_items"]}),
            ("Stripe", {"fields": ["stripe_connection", "stripe_account_id",
                                   "new_restricted_key", "remove_restricted_key"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    @admin.display(description="Stripe connection")
    def stripe_connection(self, agency):
        if agency.stripe_restricted_key:
            return f"own account (restricted key {stripe_key_masked(agency.stripe_restricted_key)})"
        if agency.stripe_account_id:
            return f"Connect account {agency.stripe_account_id}"
        return "platform account"

    @admin.display(description="sub-accounts")
    def sub_accounts_link(self, agency):
        # By URL name: `subaccounts` sits above this app and is not imported here.
        return format_html('<a href="{}?{}">sub-accounts</a>',
                           reverse("admin:subaccounts_subaccount_changelist"),
                           urlencode({"agency__id__exact": agency.pk}))

    @admin.display(description="audit log")
    def audit_link(self, agency):
        return changelist_link(AuditLog, "changes", agency_id=agency.pk)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            agency, raw_key = agency_create(
                name=data["name"], admin_email=data["admin_email"], currency=data["currency"],
                plan_rebilling_allowed=data["plan_rebilling_allowed"], actor=request.user)
            obj.pk, obj.created_at, obj._state.adding = agency.pk, agency.created_at, False
            self.message_user(request, f"API key (shown once): {raw_key}", messages.WARNING)
            return
        original = Agency.objects.get(pk=obj.pk)
        changed = {f for f in form.changed_data
                   if f in AGENCY_SERVICE_FIELDS | OPERATOR_FIELDS
                   and data[f] != getattr(original, f)}
        operator = {f: data[f] for f in changed & OPERATOR_FIELDS}
        if data.get("new_restricted_key"):
            operator["stripe_restricted_key"] = data["new_restricted_key"]
        elif data.get("remove_restricted_key"):
            operator["stripe_restricted_key"] = ""
        own = {f: data[f] for f in changed & AGENCY_SERVICE_FIELDS}
        if operator.get("plan_rebilling_allowed") is False:
            own.pop("rebilling_enabled", None)  # the plan switches it off
        if operator:
            agency_operator_update(agency=obj, actor=request.user, **operator)
        if own:
            agency_update(agency=obj, changes=own, actor=request.user)

    def save_formset(self, request, form, formset, change):
        formset_audit(request, formset, agency_id=form.instance.pk)


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    """Keys are issued through the agency's pages or `create_agency`; here they are revoked."""

    list_display = ["prefix", "name", "agency", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", ("agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["prefix", "name", "agency__name"]
    list_select_related = ["agency"]
    date_hierarchy = "created_at"
    exclude = ["key_hash"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected API keys", permissions=["revoke"])
    def revoke(self, request, queryset):
        """Asks for a reason first (the agency's integrations stop at once); keys already
        revoked are left out."""
        keys = queryset.filter(revoked_at__isnull=True)
        if not keys.exists():
            self.message_user(request, "The selected keys are already revoked.", messages.INFO)
            return None
        return form_action(
            self, request, keys, form_class=ReasonForm, title="Revoke API keys",
            apply=lambda key, data: api_key_revoke(key=key, actor=request.user,
                                                   reason=data["reason"]),
            done="{count} key(s) revoked.")

    def has_revoke_permission(self, request):
        return request.user.has_perm("agencies.change_apikey")


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(ReadOnlyAdmin):
    """Who works for each agency; edited on the agency's page (audited there)."""

    list_display = ["user", "agency", "role", "created_at"]
    list_filter = ["role", ("agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__email", "agency__name"]
    list_select_related = ["user", "agency"]


class AgencyFilter(admin.SimpleListFilter):
    """Filter rows that carry an `agency_id` (without a foreign key) by agency name."""

    title = "agency"
    parameter_name = "agency_id"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Agency.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        return queryset.filter(agency_id=self.value()) if self.value() else queryset


class ActorFilter(admin.SimpleListFilter):
    title = "actor"
    parameter_name = "actor_label"

    def lookups(self, request, model_admin):
        labels = (AuditLog.objects.order_by("actor_label").values_list("actor_label", flat=True)
                  .distinct()[:200])
        return [(label, label or "(none)") for label in labels]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset if value is None else queryset.filter(actor_label=value)


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """Append-only (a PostgreSQL trigger refuses UPDATE and DELETE): who, when, what, and the
    before and after of every change to prices, costs, wallet settings, suspensions and
    corrections."""

    list_display = ["created_at", "actor_label", "action", "object_type", "object_link",
                    "agency_link", "reason"]
    list_filter = ["action", "object_type", ActorFilter, AgencyFilter,
                   ("created_at", admin.DateFieldListFilter)]
    search_fields = ["object_id", "actor_label", "action", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    fields = ["created_at", "actor", "actor_label", "agency_link", "action", "object_type",
              "object_link", "before", "after", "reason"]
    readonly_fields = fields

    @admin.display(description="object")
    def object_link(self, row):
        app_label, _, model_name = row.object_type.partition(".")
        try:
            apps.get_model(app_label, model_name)
        except LookupError:
            # Written before its model moved to another app under the same name (the price
            # tables: agencies -> subaccounts, docs/internals.md#pricing).
            app_label = next((model._meta.app_label for model in apps.get_models()
                              if model._meta.model_name == model_name), app_label)
        try:
            url = reverse(f"admin:{app_label}_{model_name}_change", args=[quote(row.object_id)])
        except NoReverseMatch:  # a type the admin does not show
            return row.object_id
        return format_html('<a href="{}">{}</a>', url, row.object_id)

    @admin.display(description="agency")
    def agency_link(self, row):
        if not row.agency_id:
            return "—"
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:agencies_agency_change", args=[row.agency_id]),
                           row.agency_id)
