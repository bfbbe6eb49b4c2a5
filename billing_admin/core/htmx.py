"""HTMX helpers: the same URL serves the page and its fragment."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django_htmx.http import trigger_client_event


def render_page_or_partial(request, template: str, context: dict, partial: str = "panel", status: int = 200):
    """Render the whole page on a direct load, only ``template#partial`` for an htmx request.

    Boosted requests (hx-boost) want the whole page.
    """
    htmx = getattr(request, "htmx", None)
    name = f"{template}#{partial}" if htmx and not htmx.boosted else template
    return TemplateResponse(request, name, context, status=status)


def after_success(request, *, url: str, render, event: str | None = None):
    """A valid POST: htmx gets the fresh fragment (and an event others can listen to); without
    JavaScript the browser is redirected (post/redirect/get)."""
    if getattr(request, "htmx", None):
        response = render()
        if event:
            trigger_client_event(response, event)
        return response
    return redirect(url)


def add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the form's fields (or on top of the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
