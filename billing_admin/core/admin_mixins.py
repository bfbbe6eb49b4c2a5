"""Shared behaviour of our ModelAdmins."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect


class ReadOnlyAdminMixin:
    """History (ledger entries, payments, the activity log) is never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceAddAdminMixin:
    """The add form validates; ``create_through_service(request, data)`` writes (with its rules and
    activity log). A refusal becomes an admin message instead of a traceback."""

    def create_through_service(self, request, data):  # pragma: no cover - overridden
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            created = self.create_through_service(request, form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
            return
        obj.pk = created.pk

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        return super().response_add(request, obj, post_url_continue)
