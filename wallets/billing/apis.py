"""Invoice endpoints of the REST API (docs/api.md#invoices), scoped to the caller's agency."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from hoopbilling.api import AgencyApiView
from subaccounts.models import SubAccount
from wallets.billing.documents import invoice_data, invoice_pdf
from wallets.billing.selectors import invoice_lines, invoices_of_agency, invoices_of_client


class SubAccountInvoicesView(AgencyApiView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        sub_account = get_object_or_404(SubAccount, agency=self.agency, pk=pk)
        invoices = list(invoices_of_client(sub_account=sub_account)
                        .prefetch_related("lines"))
        return Response({"results": [invoice_data(invoice, list(invoice.lines.all()))
                                     for invoice in invoices]})


class InvoiceView(AgencyApiView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        invoice = get_object_or_404(invoices_of_agency(agency=self.agency), pk=pk)
        return Response(invoice_data(invoice, invoice_lines(invoice=invoice)))


class PdfRenderer(BaseRenderer):
    """Lets a client ask for `Accept: application/pdf`; errors still answer in JSON."""

    media_type = "application/pdf"
    format = "pdf"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class InvoicePdfView(AgencyApiView):
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        invoice = get_object_or_404(invoices_of_agency(agency=self.agency)
                                    .select_related("agency"), pk=pk)
        response = HttpResponse(invoice_pdf(invoice, invoice_lines(invoice=invoice)),
                                content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="invoice-{invoice.display_number}.pdf"')
        return response
