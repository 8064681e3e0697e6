"""The catalog, base costs and prices in the operators' admin.

New base costs go through `base_cost_set` (audited; a future `effective_from` schedules one;
past and current costs are never edited or deleted). Item names and order are edited here,
with an audit row; codes are not. Agency and client prices are the agencies' own (their pages
and the API) and are read-only here.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from agencies.models import CURRENCY_CHOICES
from hoopbilling.admin import (
    ReadOnlyAdmin,
    ServiceSaveAdmin,
    changelist_link,
    changes_audit,
    money_column,
    money_text,
)
from hoopbilling.forms import PlainDecimalField
from hoopbilling.money import PRICE_MAX
from subaccounts.pricing.models import AgencyPrice, BaseCost, BillableItem, PriceOverride
from subaccounts.pricing.services import base_cost_set


class BaseCostAddForm(forms.ModelForm):
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    amount = PlainDecimalField(maximum=PRICE_MAX, decimal_places=6,
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
class BaseCostAdmin(ServiceSaveAdmin):
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


@admin.register(PriceOverride)
class PriceOverrideAdmin(ReadOnlyAdmin):
    """A client's own prices, set by its agency (`price_set` / `price_clear`)."""

    list_display = ["sub_account", "item", "price_text", "tiers", "subsidize", "cleared",
                    "effective_from", "created_by"]
    price_text = money_column("price")
    list_filter = ["item", "cleared", "subsidize"]
    search_fields = ["sub_account__name", "sub_account__agency__name", "item__code"]
    date_hierarchy = "effective_from"
    list_select_related = ["sub_account", "item", "created_by"]
