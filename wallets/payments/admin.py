"""Wallets (balance read-only, auto top-up settings, credit and verify actions), top-ups,
attempts, payment events, notifications and sandbox charges in the operators' admin."""

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from hoopbilling.admin import (
    ReadOnlyAdmin,
    ReasonForm,
    admin_link,
    changelist_link,
    form_action,
    may_correct,
    money_column,
)
from hoopbilling.errors import DomainError
from wallets.ledger.corrections import wallet_credit
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry, Wallet
from wallets.payments.corrections import topup_refund, topup_retry_now
from wallets.payments.models import Notification, PaymentEvent, SandboxCharge, TopUp, TopUpAttempt
from wallets.payments.topups import wallet_settings_set
from wallets.usage.models import UsageCharge


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
    threshold = forms.DecimalField(max_digits=18, decimal_places=6, min_value=0)
    topup_amount = forms.DecimalField(max_digits=18, decimal_places=6, min_value=0,
                                      label="top-up amount")
    max_balance = forms.DecimalField(max_digits=18, decimal_places=6, min_value=0,
                                     required=False, help_text="Blank: no cap.")

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
    amount = forms.DecimalField(max_digits=18, decimal_places=6,
                                help_text="Positive credits the wallet, negative debits it.")
    field_order = ["amount", "reason"]


class RefundForm(ReasonForm):
    amount = forms.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False,
                                help_text="Blank: the whole top-up.")
    field_order = ["amount", "reason"]


def _entries_link(wallet, text="ledger"):
    return changelist_link(Entry, text, wallet__id__exact=wallet.pk)


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
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

    def _changeform_view(self, request, object_id, form_url, extra_context):
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            transaction.set_rollback(True)
            self.message_user(request, f"{exc.field or 'wallet'}: {exc.message}",
                              messages.ERROR)
            return self.response_post_save_change(request, None)

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


class TopUpAttemptInline(admin.TabularInline):
    model = TopUpAttempt
    extra = 0
    can_delete = False
    fields = ["number", "status", "payment_method", "error", "started_at", "finished_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def stripe_link(charge_id: str, gateway: str):
    """dj-stripe's admin page for the PaymentIntent when dj-stripe is installed, else the
    Stripe dashboard (for Stripe charges) or the bare id (sandbox)."""
    if not charge_id:
        return "—"
    if gateway != "stripe":
        return charge_id
    if apps.is_installed("djstripe"):
        try:
            url = reverse("admin:djstripe_paymentintent_changelist")
            return format_html('<a href="{}?q={}">{}</a>', url, charge_id, charge_id)
        except NoReverseMatch:
            pass
    return format_html('<a href="https://dashboard.stripe.com/payments/{}" rel="noopener">{}</a>',
                       charge_id, charge_id)


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "sub_account_link", "amount_text", "trigger", "status",
                    "attempts",
                    "next_attempt_at", "gateway", "charge", "entry_link", "refunds"]
    list_filter = ["status", "trigger", "gateway",
                   ("sub_account__agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["id", "charge_id", "sub_account__name", "sub_account__agency__name"]
    date_hierarchy = "created_at"
    list_select_related = ["sub_account", "entry"]
    readonly_fields = ["id", "sub_account_link", "wallet_link", "amount", "trigger", "status",
                       "attempts", "next_attempt_at", "gateway", "charge", "last_error",
                       "entry_link", "refunds", "created_by", "created_at", "updated_at",
                       "settled_at"]
    fields = readonly_fields
    inlines = [TopUpAttemptInline]
    actions = ["retry_now", "refund"]
    amount_text = money_column("amount")

    def has_correct_permission(self, request):
        return may_correct(request)

    def has_retry_permission(self, request):
        return request.user.has_perm("wallets.change_topup") or may_correct(request)

    @admin.display(description="sub-account", ordering="sub_account__name")
    def sub_account_link(self, topup):
        return admin_link(topup.sub_account)

    @admin.display(description="wallet")
    def wallet_link(self, topup):
        return admin_link(topup.wallet)

    @admin.display(description="charge")
    def charge(self, topup):
        return stripe_link(topup.charge_id, topup.gateway)

    @admin.display(description="ledger entry")
    def entry_link(self, topup):
        return admin_link(topup.entry) if topup.entry_id else "—"

    @admin.display(description="refunds")
    def refunds(self, topup):
        return changelist_link(Entry, "refunds", reference_type="topup_refund",
                               reference_id=str(topup.pk))

    @admin.action(description="Retry the selected top-ups now", permissions=["retry"])
    def retry_now(self, request, queryset):
        for topup in queryset:
            try:
                result = topup_retry_now(topup_id=topup.pk, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{topup}: {exc.message}", messages.ERROR)
                continue
            level = messages.SUCCESS if result.status == TopUp.Status.SUCCEEDED else \
                messages.WARNING
            self.message_user(request, f"Top-up {result.pk}: {result.get_status_display()}.",
                              level)

    @admin.action(description="Refund the selected top-ups to the card…",
                  permissions=["correct"])
    def refund(self, request, queryset):
        def apply(topup, data):
            amount = data["amount"] if data["amount"] is not None else topup.amount.amount
            topup_refund(topup_id=topup.pk, amount=amount, reason=data["reason"],
                         actor=request.user)

        return form_action(self, request, queryset, form_class=RefundForm,
                           title="Refund to the card", apply=apply,
                           done="{count} top-up(s) refunded.")


@admin.register(TopUpAttempt)
class TopUpAttemptAdmin(ReadOnlyAdmin):
    list_display = ["topup", "number", "status", "payment_method", "started_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["topup__id", "payment_method"]
    date_hierarchy = "started_at"
    list_select_related = ["topup"]


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "event_id", "type", "status", "tries", "processed_at"]
    list_filter = ["status", "type"]
    search_fields = ["event_id", "type"]
    date_hierarchy = "received_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "agency", "sub_account", "kind", "message", "read_at"]
    list_filter = ["kind", ("agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["message", "dedupe_key", "agency__name", "sub_account__name"]
    date_hierarchy = "created_at"
    list_select_related = ["agency", "sub_account"]


@admin.register(SandboxCharge)
class SandboxChargeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "id", "customer", "amount_minor", "currency", "status"]
    list_filter = ["status", "currency"]
    search_fields = ["id", "idempotency_key", "customer"]
    date_hierarchy = "created_at"
