"""Every view in our URLconfs goes through the permission decorators of billing_admin.core.views, and
every view that checks permissions itself really refuses an outsider."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from invoicing.tests.factories import InvoiceFactory
from profiles.models import BillingProfile, Role, RoleAssignment
from profiles.tests.factories import BillingProfileFactory, RoleAssignmentFactory, UserFactory

OUR_APPS = ("profiles", "invoicing", "purchases", "billing_admin")


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def _ours():
    for route, callback in _walk(get_resolver().url_patterns):
        if getattr(callback, "__module__", "").startswith(OUR_APPS) and not route.startswith("admin/"):
            yield route, callback  # the Django admin: AdminSite.admin_view requires active staff + model permissions


def test_every_view_of_ours_is_guarded():
    routes = list(_ours())
    unguarded = [f"{route} -> {cb.__module__}.{cb.__name__}" for route, cb in routes
                 if not getattr(cb, "permission_guard", None)]
    assert len(routes) > 5
    assert unguarded == [], "views without a permission decorator:\n" + "\n".join(unguarded)


@pytest.mark.django_db
def test_every_view_that_checks_permissions_itself_refuses_an_outsider(client):
    """Requested by someone without any role, with another customer's ids in the URL: refused
    (403/404/405), or shown without a trace of the other customer; nothing is written either way."""
    secret = BillingProfileFactory(name="Zeta Secret Dept", po_number="PO-ZETA-SECRET")
    RoleAssignmentFactory(profile=secret, role=Role.OWNER)
    InvoiceFactory(profile=secret)
    client.force_login(UserFactory())
    before = (BillingProfile.objects.count(), RoleAssignment.objects.count())
    checked = []
    for route, callback in _ours():
        if not getattr(callback, "checks_permissions_itself", False):
            continue
        url = "/" + re.sub(r"<int:\w+>", str(secret.pk), re.sub(r"<(?:slug|str):\w+>", "x", route))
        for method in (client.get, client.post):
            response = method(url, {"account": str(secret.account_id), "name": "Mine now", "q": ""})
            assert response.status_code in (403, 404, 405) or (
                response.status_code == 200 and "Zeta Secret" not in response.text
                and "PO-ZETA-SECRET" not in response.text), f"{method.__name__} {url}"
        checked.append(url)
    assert len(checked) >= 2, checked  # the profile list and the create form
    assert (BillingProfile.objects.count(), RoleAssignment.objects.count()) == before
