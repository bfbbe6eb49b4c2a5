"""The one place that answers "may this user do this action on this object".

Core owns the machinery, not the domain: an app registers its *scopes* (models whose rows
carry object permissions through django-guardian's direct-foreign-key tables) from its
``AppConfig.ready()``; ``profiles`` registers billing accounts and billing profiles and its role
matrix. A scope may name a parent scope whose holders have *cascading* permissions (an account
role that is valid on every profile of the account). Objects that belong to a scope object
(an invoice, a payment method) are answered for through the attribute that points at it.

Views, templates (through ``can_*`` flags) and the admin all ask this module.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from guardian.core import ObjectPermissionChecker


class Action(enum.StrEnum):
    # profile actions
    VIEW = "view"
    EDIT = "edit"
    MANAGE_PAYMENT_METHODS = "manage_payment_methods"
    PAY = "pay"
    MANAGE_ROLES = "manage_roles"
    DISABLE = "disable"
    # account-only actions
    VIEW_ACCOUNT = "view_account"
    EDIT_ACCOUNT = "edit_account"
    CREATE_PROFILE = "create_profile"
    MANAGE_ACCOUNT_ROLES = "manage_account_roles"


@dataclass(frozen=True)
class ObjectScope:
    """A model whose rows carry object permissions.

    ``perms``: action → codename held on the object; ``user_perms``: guardian's user object
    permission model with a direct foreign key to ``model``; ``see``: the action without which
    the object does not exist for the user; ``parent`` (a foreign key name) and ``cascade``
    (action → codename held on the parent) for permissions inherited from a parent scope.
    """

    model: type[Model]
    user_perms: type[Model]
    see: Action
    perms: Mapping[Action, str]
    parent: str = ""
    cascade: Mapping[Action, str] = field(default_factory=dict)

    @property
    def actions(self) -> list[Action]:
        return list(dict.fromkeys([*self.perms, *self.cascade]))


_SCOPES: dict[type[Model], ObjectScope] = {}
_OWNER_ATTRIBUTES: list[str] = []


def register_scope(scope: ObjectScope, *, owner_attribute: str = "") -> None:
    """Called from an ``AppConfig.ready()``. ``owner_attribute``: objects with this attribute
    pointing at a ``scope.model`` row are answered for as that row (``invoice.profile``)."""
    _SCOPES[scope.model] = scope
    if owner_attribute and owner_attribute not in _OWNER_ATTRIBUTES:
        _OWNER_ATTRIBUTES.append(owner_attribute)


def scope_for(model_or_obj) -> ObjectScope | None:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    for klass in model.__mro__:
        if klass in _SCOPES:
            return _SCOPES[klass]
    return None


def see_action(obj) -> Action:
    """The action that makes ``obj`` visible: without it, the object does not exist for the user."""
    scope = scope_for(obj)
    return scope.see if scope is not None else Action.VIEW


def _is_superuser(user) -> bool:
    return bool(user.is_active and user.is_superuser)


class PermissionChecker:
    """Answers for many objects with a fixed number of queries (guardian's checker caches per object).

    One instance per request: ``checker = PermissionChecker(request.user)``.
    """

    def __init__(self, user):
        self.user = user
        self._checker = ObjectPermissionChecker(user) if user.is_authenticated else None

    def has(self, action: Action, obj) -> bool:
        user = self.user
        if not user.is_authenticated or not user.is_active:
            return False
        if _is_superuser(user):
            return True
        scope = scope_for(obj)
        if scope is None:
            for attribute in _OWNER_ATTRIBUTES:
                owner = getattr(obj, attribute, None)
                if owner is not None and scope_for(owner) is not None:
                    return self.has(action, owner)
            raise TypeError(f"No permission rule for {type(obj).__name__}")
        if action not in scope.perms and action not in scope.cascade:
            raise ValueError(f"{action} is not an action on {scope.model.__name__}")
        if action in scope.perms and self._checker.has_perm(scope.perms[action], obj):
            return True
        return action in scope.cascade and self._checker.has_perm(scope.cascade[action], getattr(obj, scope.parent))

    def flags(self, obj) -> dict[str, bool]:
        """``can_*`` flags for templates, which never decide who may do what themselves."""
        return {f"can_{a.value}": self.has(a, obj) for a in scope_for(obj).actions}


def has_action(user, action: Action, obj) -> bool:
    return PermissionChecker(user).has(action, obj)


def objects_with_action(user, action: Action, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` on which the user may do ``action``, directly or through the parent. One query."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if _is_superuser(user):
        return queryset
    scope = _SCOPES[queryset.model]
    conditions = []
    if action in scope.perms:
        conditions.append(Exists(scope.user_perms.objects.filter(
            user=user, permission__codename=scope.perms[action], content_object=OuterRef("pk"))))
    if action in scope.cascade:
        parent = _SCOPES[scope.model._meta.get_field(scope.parent).related_model]
        conditions.append(Exists(parent.user_perms.objects.filter(
            user=user, permission__codename=scope.cascade[action], content_object=OuterRef(f"{scope.parent}_id"))))
    if not conditions:
        raise ValueError(f"{action} is not an action on {scope.model.__name__}")
    condition = Q(conditions[0])
    for extra in conditions[1:]:
        condition |= Q(extra)
    return queryset.filter(condition)
