"""The operators' admin pages that draw on every capability: the wallet (its balance
read-only, its auto top-up settings, the credit and verify actions, links to its ledger, usage
and top-ups) and the agency's page with the platform's bill for the current and previous
billing periods (the base cost of all its usage, rebilled and absorbed)."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from agencies.models import Agency
from hoopbilling.admin import (
    ReasonForm,
    ServiceSaveAdmin,
    admin_link,
    changelist_link,
    form_action,
    may_correct,
    money_column,
)
from hoopbilling.forms import PlainDecimalField
from hoopbilling.money import AMOUNT_MAX
from subaccounts.admin import AgencyAdmin
from wallets.billing.platform_bill import agency_platform_bills
from wallets.ledger.corrections import wallet_credit
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry, Wallet
from wallets.payments.autotopup import wallet_settings_set
from wallets.payments.models import TopUp
from wallets.usage.models import UsageCharge

admin.site.unregister(Agency)


@admin.register(Agency)
class AgencyBillingAdmin(AgencyAdmin):
    """`agencies.admin.AgencyAdmin` plus the platform's bill for the current and previous
    billing periods (base cost of all usage, rebilled and absorbed)."""

    readonly_fields = [*AgencyAdmin.readonly_fields, "platform_bill"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [*fieldsets, ("Platform bill (base cost of all usage)",
                             {"fields": ["platform_bill"]})]

    @admin.display(description="bill per period")
    def platform_bill(self, agency):
        parts = []
        for label, bill in zip(["Current period (so far)", "Previous period"],
                               agency_platform_bills(agency=agency, now=timezone.now()),
                               strict=True):
            rows = format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((line.item_id, line.rebilled, line.absorbed, line.total)
                 for line in bill.lines))
            parts.append(format_html(
                "<h4>{}: {} – {} ({})</h4><table><thead><tr><th>item</th>"
                "<th>rebilled</th><th>absorbed</th><th>base cost</th></tr></thead><tbody>{}"
                "<tr><th>total</th><th>{}</th><th>{}</th><th>{}</th></tr></tbody></table>"
                "<p>Credits the agency gave its clients: {} (its own money, not billed; the "
                "usage they paid for is in the rebilled base cost above)</p>",
                label, f"{bill.start:%Y-%m-%d}", f"{bill.end:%Y-%m-%d}", bill.currency, rows,
                bill.rebilled, bill.absorbed, bill.total, bill.credits))
        return format_html_join("", "{}", ((part,) for part in parts))


class NegativeBalanceFilter(admin.SimpleListFilter):
    title = "balance"
    parameter_name = "balance"

    def lookups(self, request, model_admin):
        return [("negative", "Owing (negative)"), ("zero", "Zero"), ("positive", "In credit")]

    def queryset(self, request, queryset):
        lookup = {"negative": "balance__lt", "zero": "balance", "positive": "balance__gt"}
        if self.value() in lookup:
            return queryset.filter(**{lookup[self.value()]: 0})
        return queryset


class WalletSettingsForm(forms.ModelForm):
    enabled = forms.BooleanField(required=False, label="auto top-up enabled")
    threshold = PlainDecimalField(maximum=AMOUNT_MAX, decimal_places=6)
    topup_amount = PlainDecimalField(maximum=AMOUNT_MAX, decimal_places=2,
                                     label="top-up amount")
    max_balance = PlainDecimalField(maximum=AMOUNT_MAX, decimal_places=6, required=False,
                                    help_text="Blank: no cap.")

    class Meta:
        model = Wallet
        fields = []

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None:
            cap = instance.auto_topup_max_balance
            kwargs["initial"] = {
                "enabled": instance.auto_topup_enabled,
                "threshold": instance.auto_topup_threshold.amount,
                "topup_amount": instance.auto_topup_amount.amount,
                "max_balance": cap.amount if cap is not None else None,
                **kwargs.get("initial", {})}
        super().__init__(*args, instance=instance, **kwargs)


class CreditForm(ReasonForm):
    amount = PlainDecimalField(maximum=AMOUNT_MAX, min_value=-AMOUNT_MAX, decimal_places=6,
                               help_text="Positive credits the wallet, negative debits it.")
    field_order = ["amount", "reason"]


def _entries_link(wallet, text="ledger"):
    return changelist_link(Entry, text, wallet__id__exact=wallet.pk)


@admin.register(Wallet)
class WalletAdmin(ServiceSaveAdmin):
    list_display = ["sub_account_link", "agency", "balance_text", "auto_topup_enabled",
                    "threshold_text", "amount_text", "cap_text",
                    "last_seq", "related", "updated_at"]
    list_filter = [NegativeBalanceFilter, "auto_topup_enabled", "balance_currency",
                   ("sub_account__agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["sub_account__name", "sub_account__agency__name", "sub_account__id"]
    date_hierarchy = "created_at"
    list_select_related = ["sub_account__agency"]
    form = WalletSettingsForm
    readonly_fields = ["sub_account_link", "agency", "balance_text", "last_seq", "last_hash",
                       "related", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["sub_account_link", "agency", "balance_text", "related"]}),
        ("Auto top-up", {"fields": ["enabled", "threshold", "topup_amount", "max_balance"]}),
        ("Chain head", {"fields": ["last_seq", "last_hash", "created_at", "updated_at"]}),
    ]
    actions = ["credit", "verify"]
    balance_text = money_column("balance")
    threshold_text = money_column("auto_topup_threshold", "threshold")
    amount_text = money_column("auto_topup_amount", "top-up amount")
    cap_text = money_column("auto_topup_max_balance", "max balance")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_correct_permission(self, request):
        return may_correct(request)

    @admin.display(description="sub-account", ordering="sub_account__name")
    def sub_account_link(self, wallet):
        return admin_link(wallet.sub_account)

    @admin.display(description="agency", ordering="sub_account__agency__name")
    def agency(self, wallet):
        return admin_link(wallet.sub_account.agency)

    @admin.display(description="related")
    def related(self, wallet):
        return format_html(
            "{} · {} · {}", _entries_link(wallet),
            changelist_link(UsageCharge, "usage", sub_account__id__exact=wallet.sub_account_id),
            changelist_link(TopUp, "top-ups", wallet__id__exact=wallet.pk))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if form.has_changed():
            wallet_settings_set(wallet=obj, enabled=data["enabled"], threshold=data["threshold"],
                                amount=data["topup_amount"], max_balance=data["max_balance"],
                                actor=request.user)

    def refusal_message(self, exc):
        return f"{exc.field or 'wallet'}: {exc.message}"

    @admin.action(description="Credit or debit the selected wallets…",
                  permissions=["correct"])
    def credit(self, request, queryset):
        def apply(wallet, data):
            wallet_credit(wallet_id=wallet.pk, amount=data["amount"], reason=data["reason"],
                          token=f"{request.POST['token']}:{wallet.pk}", actor=request.user)

        return form_action(self, request, queryset.select_related("sub_account"),
                           form_class=CreditForm, title="Post an adjustment", apply=apply,
                           done="Adjustment posted to {count} wallet(s).")

    @admin.action(description="Verify the ledger of the selected wallets")
    def verify(self, request, queryset):
        checks = ledger_verify(wallet_ids=queryset.values_list("pk", flat=True))
        for check in checks:
            if check.ok:
                self.message_user(request, f"Wallet {check.wallet_id}: {check.entries} entries, "
                                  "balance and hash chain verified.", messages.SUCCESS)
            else:
                self.message_user(request, f"Wallet {check.wallet_id} DRIFTS: "
                                  + "; ".join(check.problems), messages.ERROR)
