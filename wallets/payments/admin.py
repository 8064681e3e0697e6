"""Top-ups (with the "retry now" and "refund" corrections), their attempts, payment events,
notifications and sandbox charges in the operators' admin. The wallet's own page links to
usage too, so it lives in `wallets.billing.admin`."""

from django import forms
from django.apps import apps
from django.contrib import admin, messages
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
from hoopbilling.forms import RequestTokenField
from wallets.ledger.models import Entry
from wallets.payments.corrections import topup_refund, topup_retry_now
from wallets.payments.models import Notification, PaymentEvent, SandboxCharge, TopUp, TopUpAttempt


class RefundForm(ReasonForm):
    amount = forms.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False,
                                help_text="Blank: what is left to refund of each top-up.")
    token = RequestTokenField()  # the refunds' idempotency key: sent twice, refunded once
    field_order = ["amount", "reason"]


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
            topup_refund(topup_id=topup.pk, amount=data["amount"], reason=data["reason"],
                         idempotency_key=f"admin-refund:{data['token']}:{topup.pk}",
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
