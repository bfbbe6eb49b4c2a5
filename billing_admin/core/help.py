"""The help page: where to turn with a question, in two routes.

Questions about Azure charges (a charge, usage or credit on an invoice) go to a support request;
questions about the billing profile itself (invoices, payment methods, PO numbers, roles) go to
business-product support. Each route is a URL or an e-mail address from the settings
(``SUPPORT_AZURE_CHARGES``, ``SUPPORT_BILLING_PROFILE``). The page is public, like the sign-in page
whose footer links to it, and reads nothing from the database.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _


def _route(target: str, subject: str) -> dict:
    """The link and what to show for it: an e-mail address gets a subject, so the request is routed."""
    if target.startswith("mailto:"):
        address = target.removeprefix("mailto:").split("?", 1)[0]
        href = target if "?" in target else f"{target}?subject={quote(subject)}"
        return {"href": href, "email": address}
    return {"href": target, "email": ""}


@login_not_required
def help_page(request):
    context = {
        "charges": _route(settings.SUPPORT_AZURE_CHARGES, _("Question about Azure charges")),
        "profile": _route(settings.SUPPORT_BILLING_PROFILE, _("Question about a billing profile")),
    }
    return TemplateResponse(request, "help.html", context)


help_page.permission_guard = "public: contact routes only, no data"  # type: ignore[attr-defined]
