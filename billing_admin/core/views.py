"""The one way for a view to load an object and require an action.

No right to see it → 404, the same answer as for an object that does not exist.
May see it but not act → 403.  Every view in our URLconfs is wrapped by one of the
decorators here (``tests/test_url_guard.py`` walks the URL patterns and fails otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404

from billing_admin.core.permissions import Action, PermissionChecker, see_action


def object_action_required(action: Action, loader: Callable[[dict], object | None]):
    """Load the object with ``loader(kwargs)`` (it pops the URL kwargs it uses) and check ``action``.

    The view is called as ``view(request, obj, **remaining_kwargs)`` and finds the request's
    ``PermissionChecker`` on ``request.checker``.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            obj = loader(kwargs)
            checker = PermissionChecker(request.user)
            if obj is None or not checker.has(see := see_action(obj), obj):
                raise Http404
            if action != see and not checker.has(action, obj):
                raise PermissionDenied
            request.checker = checker
            return view(request, obj, *args, **kwargs)

        wrapped.permission_guard = action  # type: ignore[attr-defined]
        return wrapped

    return decorator


def checks_permissions_itself(reason: str):
    """Mark a view that has no single object (lists, create forms) and checks permissions inside."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            request.checker = PermissionChecker(request.user)
            return view(request, *args, **kwargs)

        wrapped.permission_guard = reason  # type: ignore[attr-defined]
        wrapped.checks_permissions_itself = True  # type: ignore[attr-defined]
        return wrapped

    return decorator
