"""Shared behaviour of our ModelAdmins: who may do what is asked of the permission module, and every
write goes through a service (or is not offered)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.functional import cached_property

from billing_admin.core.activity import describe_changes
from billing_admin.core.htmx import add_errors
from billing_admin.core.money import format_money
from billing_admin.core.permissions import SupportAction, support_may


def error_text(exc: Exception) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc) or exc.__class__.__name__])


class _Refused(Exception):
    """A service refused the admin's write: the admin's transaction rolls back, the form comes back."""

    def __init__(self, error: ValidationError):
        super().__init__(error)
        self.error = error


class SupportPermissions:
    """``add_action`` / ``change_action`` / ``delete_action``: the support action that allows it, or
    None when the admin does not offer it at all. Seeing needs ``SupportAction.VIEW``."""

    add_action: SupportAction | None = None
    change_action: SupportAction | None = None
    delete_action: SupportAction | None = None

    def has_view_permission(self, request, obj=None):
        return support_may(request.user, SupportAction.VIEW)

    def has_add_permission(self, request, obj=None):
        return self.add_action is not None and support_may(request.user, self.add_action)

    def has_change_permission(self, request, obj=None):
        return self.change_action is not None and support_may(request.user, self.change_action)

    def has_delete_permission(self, request, obj=None):
        return self.delete_action is not None and support_may(request.user, self.delete_action)

    def has_module_permission(self, request):
        return support_may(request.user, SupportAction.VIEW)


class ReadOnlyInline(SupportPermissions, admin.TabularInline):
    """Rows shown on their parent's page; never added, changed or deleted there."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)


class EstimatedCountPaginator(Paginator):
    """No ``COUNT(*)`` over a big table on every page view: for an unfiltered list of a table of more
    than ``estimate_above`` rows, PostgreSQL's planner estimate (``pg_class.reltuples``) is the count
    (the last page number may be a little off); a filtered list is counted exactly."""

    estimate_above = 10_000

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if connection.vendor == "postgresql" and query is not None and not query.where:
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                               [self.object_list.model._meta.db_table])
                row = cursor.fetchone()
            if row and row[0] > self.estimate_above:
                return int(row[0])
        return super().count


class SupportAdmin(SupportPermissions, admin.ModelAdmin):
    """A ModelAdmin for support engineers.

    Subclasses that offer add/change write through ``create(request, form)`` and
    ``update(request, obj, form)`` (services); a ``ValidationError`` or ``PermissionDenied`` rolls the
    whole request back and shows the form again with the message next to its field (or on top).
    Deleting goes through ``remove(request, obj)``.
    """

    show_full_result_count = False
    paginator = EstimatedCountPaginator
    change_form_template = "admin/support_change_form.html"

    def activity_queryset(self, obj):
        """The object's activity log shown under its form (None: no log on this page)."""
        return None

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, each through its service with its message
        return actions

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        events = self.activity_queryset(obj) if obj is not None else None
        if events is not None:
            context["activity_log"] = activity_log(request, events)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- writes -------------------------------------------------------------------------------
    def create(self, request, form):  # pragma: no cover - subclasses that offer add override it
        raise PermissionDenied

    def update(self, request, obj, form):  # pragma: no cover - subclasses that offer change override it
        raise PermissionDenied

    def remove(self, request, obj):  # pragma: no cover - subclasses that offer delete override it
        raise PermissionDenied

    def save_inline(self, request, form, formset, change):
        """Write an inline formset through services (default: inlines are read-only)."""

    @staticmethod
    def refuse(exc: Exception):
        if isinstance(exc, ValidationError):
            raise _Refused(exc) from exc
        raise _Refused(ValidationError(error_text(exc))) from exc

    def save_form(self, request, form, change):
        return form.save(commit=False)  # nothing is written here; save_model calls the service

    def save_model(self, request, obj, form, change):
        try:
            saved = self.update(request, obj, form) if change else self.create(request, form)
        except (ValidationError, PermissionDenied, ValueError) as exc:
            self.refuse(exc)
        if saved is not None:
            obj.pk = saved.pk
            obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            try:
                self.save_inline(request, form, formset, change)
            except (ValidationError, PermissionDenied, ValueError) as exc:
                self.refuse(exc)
            for attr in ("new_objects", "changed_objects", "deleted_objects"):  # for the admin's change message
                if not hasattr(formset, attr):
                    setattr(formset, attr, [])

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:  # rolled back by the admin's transaction: show the form again
            request._service_error = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        error = getattr(request, "_service_error", None)
        if error is None:
            return form

        class Refused(form):
            def clean(self):
                data = super().clean()
                add_errors(self, error)
                return data

        Refused.__name__ = form.__name__
        return Refused

    def delete_model(self, request, obj):
        try:
            self.remove(request, obj)
        except (ValidationError, PermissionDenied) as exc:
            request._delete_refused = True
            self.message_user(request, f"{obj}: {error_text(exc)}", messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "_delete_refused", False):  # not "deleted successfully": it was not
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", obj_id)
        return super().response_delete(request, obj_display, obj_id)


class AppendOnlyAdmin(SupportAdmin):
    """Records of money and the activity log: seen, searched, never added, changed or deleted here.
    Corrections are actions of their own (void, credit adjustment, recorded transfer)."""

    add_action = change_action = delete_action = None
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [*(f.name for f in self.model._meta.fields), *self.readonly_fields]


ACTIVITY_PAGE_SIZE = 20


def activity_log(request, queryset) -> str:
    """The activity log of one object for its admin page: newest first, ``ACTIVITY_PAGE_SIZE`` a page
    (``?activity_page=N``), each change as ``field: before → after``. Two queries whatever its length."""
    paginator = Paginator(queryset.order_by("-created", "-pk"), ACTIVITY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("activity_page"))
    rows = [(event, describe_changes(event.changes)) for event in page.object_list]
    return render_to_string("admin/activity_log.html", {"page": page, "rows": rows}, request=request)


def money_display(field: str, description, currency=lambda obj: obj.currency):
    """A list/detail column showing ``field`` in its currency (``€1,089.00``, ``¥12,000``)."""
    @admin.display(description=description, ordering=field)
    def show(self, obj):
        value = getattr(obj, field)
        return "—" if value is None else format_money(value, currency(obj))

    show.__name__ = f"{field}_money"
    return show
