"""The server-error page.

Django's default 500 handler renders ``500.html`` with an empty context, so the page could neither
link the help page (with its support routes) nor speak the user's language. This one adds just
those, and still runs no context processor and no query: whatever failed must not fail again here.
"""

from __future__ import annotations

from django.http import HttpResponseServerError
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def server_error(request, template_name: str = "500.html"):
    template = loader.get_template(template_name)
    context = {"HELP_URL": reverse("help"), "LANGUAGE_CODE": translation.get_language() or "en"}
    return HttpResponseServerError(template.render(context))
