"""Response headers every page of the product needs."""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers


class PrivateResponsesMiddleware:
    """Everything this product serves is one customer's data (pages, HTMX fragments, invoice PDFs,
    CSV exports): no shared cache may keep it and no browser may store it on disk
    (``Cache-Control: private, no-store``, unless a view set its own). The same URL answers with a
    whole page or, for htmx, with a fragment of it, so every response varies on ``HX-Request``:
    a cache must never hand the fragment to a plain request or the other way round."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return response  # our CSS and JavaScript (served by Django only in development)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ["HX-Request"])
        return response
