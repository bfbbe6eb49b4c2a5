from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.urls import include, path
from django.views.i18n import set_language

from billing_admin.core.auth import password_reset
from billing_admin.core.help import help_page


@login_not_required
def home(request):
    return redirect("profiles:profile-list")


home.permission_guard = "public redirect"  # type: ignore[attr-defined]

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("help/", help_page, name="help"),
    # The language switch works before signing in too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("accounts/password_reset/", password_reset, name="password_reset"),  # throttled
    path("accounts/", include("django.contrib.auth.urls")),
    path("billing/", include("profiles.urls")),
    path("billing/", include("invoicing.urls")),
    path("billing/", include("purchases.urls")),
]

handler500 = "billing_admin.core.errors.server_error"
