"""Sub-accounts (an agency's clients) in the operators' admin.

Edits go through `subaccount_create` / `subaccount_update`; suspending and lifting are
actions with a required reason (`subaccount_suspend` / `subaccount_lift`), all audited.
The links to a client's wallet, ledger and top-ups are added by `wallets.admin`.

This is the app's admin module, so it imports the price admin (`subaccounts.pricing.admin`:
the catalog, base costs and prices) for Django to register it. It also re-registers the
agency's page (`agencies.admin.AgencyAdmin`) so that the items a suspension blocks are
checked against the catalog, which `agencies` cannot see.
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join

from agencies import admin as agencies_admin
from agencies.models import Agency
from hoopbilling.admin import (
    ReadOnlyAdmin,
    ReasonForm,
    ServiceSaveAdmin,
    admin_link,
    form_action,
    formset_audit,
    money_text,
)
from hoopbilling.errors import DomainError
from subaccounts.models import ClientMembership, SubAccount, SuspensionReason
from subaccounts.pricing import admin as pricing_admin  # noqa: F401  (registers it)
from subaccounts.services import (
    subaccount_create,
    subaccount_lift,
    subaccount_suspend,
    subaccount_update,
)
from subaccounts.suspension import blocked_items_check

SERVICE_FIELDS = ["name", "rebilling_enabled", "itemised_usage_visible"]


class ClientMembershipInline(admin.TabularInline):
    model = ClientMembership
    extra = 0
    autocomplete_fields = ["user"]


class SuspendedFilter(admin.SimpleListFilter):
    title = "suspended"
    parameter_name = "suspended"

    def lookups(self, request, model_admin):
        return [("yes", "Suspended"), ("no", "Active")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(suspended_at__isnull=self.value() == "no")
        return queryset


class SubAccountAddForm(forms.ModelForm):
    class Meta:
        model = SubAccount
        fields = ["agency", "name", "external_id"]


@admin.register(SubAccount)
class SubAccountAdmin(ServiceSaveAdmin):
    list_display = ["name", "agency_link", "external_id", "rebilling_enabled",
                    "itemised_usage_visible", "suspended_at", "suspension_reason",
                    "credit_limit", "card", "created_at"]
    list_filter = [SuspendedFilter, "rebilling_enabled", "itemised_usage_visible",
                   "payment_gateway", ("agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "external_id", "id", "agency__name", "payment_customer_id"]
    date_hierarchy = "created_at"
    list_select_related = ["agency"]
    readonly_fields = ["id", "agency_link", "money_links", "external_id", "suspended_at",
                       "suspension_reason", "suspension_note", "suspension_items",
                       "credit_limit", "payment_gateway", "payment_customer_id",
                       "payment_method_id", "card", "created_at"]
    fields = ["id", "agency_link", "money_links", "name", "external_id", "rebilling_enabled",
              "itemised_usage_visible", "credit_limit", "suspended_at", "suspension_reason",
              "suspension_note", "suspension_items", "payment_gateway",
              "payment_customer_id", "payment_method_id", "card", "created_at"]
    inlines = [ClientMembershipInline]
    actions = ["suspend", "lift"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = SubAccountAddForm
            kwargs["fields"] = ["agency", "name", "external_id"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return self.fields if obj else ["agency", "name", "external_id"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # a client with a ledger is never deleted (its entries are kept)

    @admin.display(description="agency", ordering="agency__name")
    def agency_link(self, sub_account):
        return admin_link(sub_account.agency)

    @admin.display(description="wallet and money")
    def money_links(self, sub_account):
        # By URL name: `wallets` sits above this app and is not imported here.
        wallet = getattr(sub_account, "wallet", None)
        if wallet is None:
            return "—"
        links = [
            (reverse("admin:wallets_wallet_change", args=[wallet.pk]), "",
             f"wallet ({money_text(wallet.balance)})"),
            (reverse("admin:wallets_entry_changelist"), f"?wallet__id__exact={wallet.pk}",
             "ledger"),
            (reverse("admin:wallets_usagecharge_changelist"),
             f"?sub_account__id__exact={sub_account.pk}", "usage"),
            (reverse("admin:wallets_topup_changelist"), f"?wallet__id__exact={wallet.pk}",
             "top-ups"),
        ]
        return format_html_join(" · ", '<a href="{}{}">{}</a>', links)

    @admin.display(description="card")
    def card(self, sub_account):
        if not sub_account.payment_method_id:
            return "—"
        return f"{sub_account.card_brand} ····{sub_account.card_last4}"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = subaccount_create(agency=data["agency"], name=data["name"],
                                        external_id=data.get("external_id") or None,
                                        actor=request.user)
            obj.pk, obj.created_at, obj._state.adding = created.pk, created.created_at, False
            return
        changes = {f: data[f] for f in form.changed_data if f in SERVICE_FIELDS}
        if changes:
            subaccount_update(sub_account=obj, changes=changes, actor=request.user)

    def save_formset(self, request, form, formset, change):
        formset_audit(request, formset, agency_id=form.instance.agency_id)

    @admin.action(description="Suspend the selected sub-accounts…", permissions=["change"])
    def suspend(self, request, queryset):
        def apply(sub_account, data):
            if not subaccount_suspend(sub_account=sub_account, reason=SuspensionReason.AGENCY,
                                      note=data["reason"], actor=request.user):
                raise DomainError("already suspended")

        return form_action(self, request, queryset, form_class=ReasonForm,
                           title="Suspend messaging and calling", apply=apply,
                           done="{count} sub-account(s) suspended.")

    @admin.action(description="Lift the suspension of the selected sub-accounts…",
                  permissions=["change"])
    def lift(self, request, queryset):
        def apply(sub_account, data):
            if not subaccount_lift(sub_account=sub_account, reason=data["reason"],
                                   actor=request.user):
                raise DomainError("not suspended")

        return form_action(self, request, queryset, form_class=ReasonForm,
                           title="Lift the suspension", apply=apply,
                           done="{count} suspension(s) lifted.")


@admin.register(ClientMembership)
class ClientMembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "sub_account", "role", "can_manage_billing", "created_at"]
    list_filter = ["role", "can_manage_billing"]
    search_fields = ["user__username", "user__email", "sub_account__name"]
    list_select_related = ["user", "sub_account"]


admin.site.unregister(Agency)


@admin.register(Agency)
class AgencyAdmin(agencies_admin.AgencyAdmin):
    """`agencies.admin.AgencyAdmin` whose blocked items are checked against the catalog before
    `agency_operator_update` saves them (a refusal is an error message; nothing is written)."""

    def save_model(self, request, obj, form, change):
        if change and "suspension_blocked_items" in form.changed_data:
            blocked_items_check(form.cleaned_data["suspension_blocked_items"])
        super().save_model(request, obj, form, change)
