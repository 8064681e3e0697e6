"""Ledger entries and usage charges in the operators' admin: read-only, with the
"reverse" correction."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from hoopbilling.admin import (
    ReadOnlyAdmin,
    ReasonForm,
    admin_link,
    form_action,
    may_correct,
    money_column,
)
from hoopbilling.errors import DomainError
from wallets.ledger.models import Entry
from wallets.usage.corrections import usage_reverse
from wallets.usage.models import UsageCharge


def _reference_link(entry):
    if entry.reference_type == "usage_charge" and entry.reference_id:
        url = reverse("admin:wallets_usagecharge_change", args=[entry.reference_id])
    elif entry.reference_type in ("topup", "topup_refund") and entry.reference_id:
        url = reverse("admin:wallets_topup_change", args=[entry.reference_id])
    else:
        return entry.reference_type or "—"
    return format_html('<a href="{}">{}</a>', url, entry.reference_type)


def _reverse_action(modeladmin, request, queryset, entry_of):
    def apply(obj, data):
        entry_id = entry_of(obj)
        if entry_id is None:
            raise DomainError("absorbed by the agency: nothing in the wallet to reverse")
        usage_reverse(entry_id=entry_id, reason=data["reason"], actor=request.user)

    return form_action(modeladmin, request, queryset, form_class=ReasonForm,
                       title="Reverse usage charges", apply=apply,
                       done="{count} usage charge(s) reversed.")


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    """The ledger is never edited here: corrections are new entries posted by services."""

    list_display = ["created_at", "wallet_link", "seq", "kind", "amount_text",
                    "balance_after_text", "reference", "corrects_link", "memo", "actor_label"]
    list_filter = ["kind", "amount_currency", "reference_type",
                   ("wallet__sub_account__agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["idempotency_key", "reference_id", "memo", "wallet__sub_account__name"]
    date_hierarchy = "created_at"
    list_select_related = ["wallet__sub_account", "corrects"]
    ordering = ["-created_at", "-id"]
    readonly_fields = ["wallet_link", "seq", "kind", "amount_text", "balance_after_text",
                       "idempotency_key", "reference", "corrects_link", "corrected_by", "memo",
                       "actor_label", "created_at", "hash"]
    fields = readonly_fields
    actions = ["reverse_usage"]
    amount_text = money_column("amount")
    balance_after_text = money_column("balance_after", "balance after")

    def has_correct_permission(self, request):
        return may_correct(request)

    @admin.display(description="wallet", ordering="wallet")
    def wallet_link(self, entry):
        return admin_link(entry.wallet)

    @admin.display(description="reference")
    def reference(self, entry):
        return _reference_link(entry)

    @admin.display(description="corrects")
    def corrects_link(self, entry):
        return admin_link(entry.corrects) if entry.corrects_id else "—"

    @admin.display(description="corrected by")
    def corrected_by(self, entry):
        return format_html_join(", ", "{}", ((admin_link(c),) for c in entry.corrections.all())
                                ) or "—"

    @admin.action(description="Reverse the selected usage charges…", permissions=["correct"])
    def reverse_usage(self, request, queryset):
        return _reverse_action(self, request, queryset, lambda entry: entry.pk)


@admin.register(UsageCharge)
class UsageChargeAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "sub_account_link", "agency", "item", "quantity",
                    "unit_price_text", "amount_text", "base_cost_text", "billed_to",
                    "price_source", "entry_link"]
    unit_price_text = money_column("unit_price", "unit price")
    amount_text = money_column("amount")
    base_cost_text = money_column("base_cost_amount", "base cost")
    list_filter = ["billed_to", "item", "price_source", ("agency",
                                                        admin.RelatedOnlyFieldListFilter)]
    search_fields = ["id", "idempotency_key", "sub_account__name", "agency__name"]
    date_hierarchy = "occurred_at"
    list_select_related = ["sub_account", "agency", "item", "entry"]
    ordering = ["-occurred_at"]
    actions = ["reverse"]

    def has_correct_permission(self, request):
        return may_correct(request)

    @admin.display(description="sub-account", ordering="sub_account__name")
    def sub_account_link(self, charge):
        return admin_link(charge.sub_account)

    @admin.display(description="ledger entry")
    def entry_link(self, charge):
        return admin_link(charge.entry) if charge.entry_id else "— (absorbed)"

    @admin.action(description="Reverse the selected usage charges…", permissions=["correct"])
    def reverse(self, request, queryset):
        return _reverse_action(self, request, queryset, lambda charge: charge.entry_id)
