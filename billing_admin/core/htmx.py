"""HTMX helpers: the same URL serves the page and its fragment; one sequence for every form POST."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse


def render_page_or_partial(request, template: str, context: dict, partial: str = "panel", status: int = 200):
    """Render the whole page on a direct load, only ``template#partial`` for an htmx request.

    Boosted requests (hx-boost) want the whole page.
    """
    htmx = getattr(request, "htmx", None)
    name = f"{template}#{partial}" if htmx and not htmx.boosted else template
    return TemplateResponse(request, name, context, status=status)


def after_success(request, *, url: str, render: Callable[[], TemplateResponse]):
    """A valid POST: htmx gets the fresh fragment; without JavaScript the browser is redirected
    (post/redirect/get)."""
    if getattr(request, "htmx", None):
        return render()
    return redirect(url)


def add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the form's fields (or on top of the form)."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def submit(request, *, form=None, service: Callable[[dict], object], success: Callable[[object], str],
           url: str | Callable[[object], str], done: Callable[[], TemplateResponse] | None = None,
           show: Callable[[object], TemplateResponse] | None = None):
    """Bound form → service → field errors, or a success message and the fresh fragment (htmx) or a
    redirect to ``url`` (without JavaScript).

    On a POST whose ``form`` is valid, ``service(cleaned_data)`` runs (no form: an action without
    input, ``service({})``). Its ValidationError goes next to the form's fields and ``show(form)``
    renders the form again (status 200); without a form it becomes an error message (information,
    when its code is ``already_removed``) and the fragment is ``done()``. ``success(result)`` is the
    message of a success. A GET is ``show(form)`` (an action without a form answers POST only).
    Without ``done`` the answer is always the redirect; ``url`` may depend on the result
    (``url(result)``, a page that did not exist before).
    """
    result = None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            result = service(form.cleaned_data if form is not None else {})
        except ValidationError as exc:
            if form is not None:
                add_errors(form, exc)
                return show(form)
            # A concurrent request (a double click, another tab) did it first: an answer, not an error.
            notice = messages.info if getattr(exc, "code", None) == "already_removed" else messages.error
            notice(request, " ".join(exc.messages))
        else:
            messages.success(request, success(result))
        target = url(result) if callable(url) else url
        return after_success(request, url=target, render=done) if done is not None else redirect(target)
    return show(form)
