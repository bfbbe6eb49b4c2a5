"""Sign-in throttling (django-axes) and the throttled password reset."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import PasswordResetView
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils import translation
from django.utils.translation import gettext as _

from billing_admin.core.tasks import password_reset_mail_task


def axes_username(request, credentials) -> str:
    """Throttle per e-mail address, whatever its case."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(value).strip().lower()


# Password reset: at most so many requests per e-mail address and per client in a window. Every
# request counts, whether or not the address belongs to anyone, so the answer (sent / too many)
# never tells whether an address exists.
def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _hit(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def password_reset_allowed(*, email: str, client: str) -> bool:
    """Count this request against its address and its client; False once either is over its limit."""
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    address = hashlib.sha256(str(email).strip().lower().encode()).hexdigest()[:32]
    by_address = _hit(f"password-reset:address:{address}", window)
    by_client = _hit(f"password-reset:client:{client}", window)
    return (by_address <= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
            and by_client <= settings.PASSWORD_RESET_LIMIT_PER_CLIENT)


def _password_reset_view():
    class ThrottledPasswordResetView(PasswordResetView):
        """Django's password reset, throttled per address and per client (see above)."""

        def form_valid(self, form):
            if not password_reset_allowed(email=form.cleaned_data["email"], client=client_address(self.request)):
                form.add_error(None, _("Too many password reset requests. Try again in an hour."))
                return self.render_to_response(self.get_context_data(form=form), status=429)
            # A worker sends the mail (billing_admin.core.tasks): the same work here for any address.
            email, language = form.cleaned_data["email"], translation.get_language()
            transaction.on_commit(lambda: password_reset_mail_task.delay(email, language))
            return HttpResponseRedirect(self.get_success_url())

    view = login_not_required(ThrottledPasswordResetView.as_view())
    view.permission_guard = "public: password reset, throttled"  # type: ignore[attr-defined]
    return view


password_reset = _password_reset_view()
