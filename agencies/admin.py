"""Agencies and the platform's catalog in the operators' admin.

Every change goes through a service and so writes an audit row: agency settings through
`agency_update` / `agency_operator_update`, new base costs through `base_cost_set` (past
costs are never edited or deleted). Agency and client prices are the agencies' own and are
read-only here. The platform's bill to each agency is added by `wallets.admin` (it reads
usage charges, which live in a higher app).

The audit log (`hoopbilling.models.AuditLog`) is registered here too: its list filters by
agency, which `hoopbilling` may not know.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.contrib.admin.widgets import AdminSplitDateTime
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from agencies.models import (
    CURRENCY_CHOICES,
    Agency,
    AgencyMembership,
    AgencyPrice,
    ApiKey,
    BaseCost,
    BillableItem,
)
from agencies.services import (
    OPERATOR_FIELDS,
    agency_create,
    agency_operator_update,
    agency_update,
    api_key_revoke,
    base_cost_set,
)
from hoopbilling.admin import (
    ReadOnlyAdmin,
    ReasonForm,
    changelist_link,
    changes_audit,
    form_action,
    formset_audit,
    money_column,
    money_text,
)
from hoopbilling.errors import DomainError
from hoopbilling.forms import PlainDecimalField
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
class AgencyAdmin(admin.ModelAdmin):
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

    def _changeform_view(self, request, object_id, form_url, extra_context):
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            # A service refused the change after the form validated: nothing was written.
            transaction.set_rollback(True)
            self.message_user(request, exc.message, messages.ERROR)
            return self.response_post_save_change(request, None) if object_id else \
                self.response_post_save_add(request, None)

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


class BaseCostAddForm(forms.ModelForm):
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    amount = PlainDecimalField(max_digits=18, decimal_places=6, min_value=0,
                                label="cost per priced unit")
    effective_from = forms.SplitDateTimeField(
        required=False, widget=AdminSplitDateTime,
        help_text="Blank: from now. A future moment schedules the change.")

    class Meta:
        model = BaseCost
        fields = ["item"]



def cost_status(row: BaseCost, in_force_ids: set[int], now) -> str:
    if row.effective_from > now:
        return "scheduled"
    return "in force" if row.pk in in_force_ids else "superseded"


def in_force_cost_ids(now) -> set[int]:
    """The BaseCost rows in force now, one per item and currency (one query)."""
    rows = (BaseCost.objects.filter(effective_from__lte=now)
            .order_by("item_id", "cost_currency", "-effective_from", "-id")
            .values_list("pk", "item_id", "cost_currency"))
    seen, ids = set(), set()
    for pk, item, currency in rows:
        if (item, currency) not in seen:
            seen.add((item, currency))
            ids.add(pk)
    return ids


@admin.register(BillableItem)
class BillableItemAdmin(admin.ModelAdmin):
    """The nine fixed items (docs/api.md#item-codes-and-measurement): names and order are
    editable, codes are not; costs are scheduled on the Base costs page."""

    list_display = ["code", "name", "unit", "price_per", "category", "costs_in_force",
                    "costs_scheduled", "position"]
    list_filter = ["category"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "unit", "price_per", "category", "costs_in_force",
                       "costs_scheduled", "cost_history"]
    fields = ["code", "name", "unit", "price_per", "category", "position", "costs_in_force",
              "costs_scheduled", "cost_history"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("base_costs")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _costs(self, item, scheduled: bool):
        now = timezone.now()
        rows = sorted(item.base_costs.all(), key=lambda r: (r.cost_currency, r.effective_from))
        if scheduled:
            return [r for r in rows if r.effective_from > now]
        latest = {}
        for row in rows:
            if row.effective_from <= now:
                latest[row.cost_currency] = row
        return list(latest.values())

    @admin.display(description="in force now")
    def costs_in_force(self, item):
        return ", ".join(money_text(r.cost) for r in self._costs(item, scheduled=False)) or "—"

    @admin.display(description="scheduled")
    def costs_scheduled(self, item):
        return ", ".join(f"{money_text(r.cost)} from {r.effective_from:%Y-%m-%d %H:%M}"
                         for r in self._costs(item, scheduled=True)) or "—"

    @admin.display(description="history")
    def cost_history(self, item):
        rows = BaseCost.objects.filter(item=item).order_by("cost_currency", "-effective_from")
        link = changelist_link(BaseCost, "schedule a new cost", item__code__exact=item.code)
        return format_html("{}<br>{}", link, format_html_join(
            "", "<div>{} · {} from {}</div>",
            ((r.cost_currency, money_text(r.cost), f"{r.effective_from:%Y-%m-%d %H:%M}")
             for r in rows)))

    def save_model(self, request, obj, form, change):
        before = {f: form.initial.get(f) for f in form.changed_data}
        super().save_model(request, obj, form, change)
        changes_audit(request, obj, changed=form.changed_data, before=before, added=False)


class CostStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("in_force", "in force now"), ("scheduled", "scheduled"),
                ("superseded", "superseded")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "scheduled":
            return queryset.filter(effective_from__gt=now)
        if self.value() == "in_force":
            return queryset.filter(pk__in=in_force_cost_ids(now))
        if self.value() == "superseded":
            return queryset.filter(effective_from__lte=now).exclude(
                pk__in=in_force_cost_ids(now))
        return queryset


@admin.register(BaseCost)
class BaseCostAdmin(admin.ModelAdmin):
    """Base costs are effective-dated: adding one schedules it (`base_cost_set`, audited);
    past and current costs stay as they were, so every past charge keeps its explanation."""

    list_display = ["item", "cost_text", "effective_from", "status", "created_by", "created_at"]
    cost_text = money_column("cost")
    list_filter = [CostStatusFilter, "item", "cost_currency"]
    search_fields = ["item__code", "item__name"]
    date_hierarchy = "effective_from"
    list_select_related = ["item", "created_by"]
    form = BaseCostAddForm

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["item", "currency", "amount", "effective_from"]
        return ["item", "cost_text", "effective_from", "status", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else []

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        self._now = timezone.now()
        self._in_force = in_force_cost_ids(self._now)
        return super().changelist_view(request, extra_context)

    @admin.display(description="status")
    def status(self, row):
        now = getattr(self, "_now", None) or timezone.now()
        in_force = getattr(self, "_in_force", None)
        return cost_status(row, in_force if in_force is not None else in_force_cost_ids(now),
                           now)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        row = base_cost_set(item=data["item"], currency=data["currency"], cost=data["amount"],
                            effective_from=data.get("effective_from"), actor=request.user)
        obj.pk, obj.cost, obj.effective_from = row.pk, row.cost, row.effective_from
        obj._state.adding = False

    def _changeform_view(self, request, object_id, form_url, extra_context):
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            transaction.set_rollback(True)
            self.message_user(request, exc.message, messages.ERROR)
            return self.response_post_save_add(request, None)


@admin.register(AgencyPrice)
class AgencyPriceAdmin(ReadOnlyAdmin):
    """Agencies set their own prices (pages and API, `price_set`); operators look."""

    list_display = ["agency", "item", "price_text", "tiers", "subsidize", "effective_from",
                    "created_by"]
    price_text = money_column("price")
    list_filter = ["item", "subsidize", ("agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["agency__name", "item__code"]
    date_hierarchy = "effective_from"
    list_select_related = ["agency", "item", "created_by"]


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
