"""The agency's admin page with the platform's bill for the current and previous
billing periods (the base cost of all its usage, rebilled and absorbed)."""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from agencies.models import Agency
from subaccounts.admin import AgencyAdmin
from wallets.billing.platform_bill import agency_platform_bills

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
                "<tr><th>total</th><th>{}</th><th>{}</th><th>{}</th></tr></tbody></table>",
                label, f"{bill.start:%Y-%m-%d}", f"{bill.end:%Y-%m-%d}", bill.currency, rows,
                bill.rebilled, bill.absorbed, bill.total))
        return format_html_join("", "{}", ((part,) for part in parts))
