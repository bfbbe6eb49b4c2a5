"""The Invoices tab and the permission-checked PDF download."""

from __future__ import annotations

from django.http import FileResponse, Http404

from billing_admin.core.htmx import render_page_or_partial
from billing_admin.core.permissions import Action
from billing_admin.core.views import object_action_required
from invoicing.selectors import invoice_loader, invoices_for
from profiles.selectors import profile_loader
from profiles.tabs import profile_tab_context


def render_tab(request, profile):
    context = {**profile_tab_context(request, profile, "invoices"), "invoices": list(invoices_for(profile=profile))}
    return render_page_or_partial(request, "invoicing/profile_invoices.html", context)


@object_action_required(Action.VIEW, profile_loader)
def profile_invoices(request, profile):
    return render_tab(request, profile)


@object_action_required(Action.VIEW, invoice_loader)
def invoice_pdf(request, invoice):
    if not invoice.pdf:
        raise Http404("The PDF of this invoice is not ready yet.")
    return FileResponse(invoice.pdf.open("rb"), as_attachment=True, filename=f"invoice-{invoice.number}.pdf",
                        content_type="application/pdf")
