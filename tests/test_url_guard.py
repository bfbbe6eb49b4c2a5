"""Every view in our URLconfs goes through the permission decorators of billing_admin.core.views."""

from django.urls import URLPattern, URLResolver, get_resolver

OUR_APPS = ("profiles", "invoicing", "billing_admin")


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def test_every_view_of_ours_is_guarded():
    unguarded = []
    checked = 0
    for route, callback in _walk(get_resolver().url_patterns):
        module = getattr(callback, "__module__", "")
        if not module.startswith(OUR_APPS):
            continue
        checked += 1
        if route.startswith("admin/"):
            continue  # the Django admin: AdminSite.admin_view requires active staff + model permissions
        if not getattr(callback, "permission_guard", None):
            unguarded.append(f"{route} -> {module}.{callback.__name__}")
    assert checked > 5
    assert unguarded == [], "views without a permission decorator:\n" + "\n".join(unguarded)
