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
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Model, Q, QuerySet, Value
from django.utils.translation import gettext as _
from guardian.models import GroupObjectPermissionBase


class Action(enum.StrEnum):
    # profile actions
    VIEW = "view"
    EDIT = "edit"
    MANAGE_PAYMENT_METHODS = "manage_payment_methods"
    PAY = "pay"
    PURCHASE = "purchase"  # buy with the profile's payment method (on an account: its default profile)
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


@functools.cache
def _group_perms_model(model: type[Model]) -> type[Model]:
    """guardian's direct-foreign-key group permission model of ``model`` (found once, no query)."""
    for candidate in apps.get_models():
        if (issubclass(candidate, GroupObjectPermissionBase)
                and candidate._meta.get_field("content_object").related_model is model):
            return candidate
    raise LookupError(f"No group object permission model for {model.__name__}")


def _is_superuser(user) -> bool:
    return bool(user.is_active and user.is_superuser)


class PermissionChecker:
    """Answers for an object and its parent with one query, cached for the request.

    One instance per request: ``checker = PermissionChecker(request.user)``. The first question
    about an object reads every codename the user holds on it and on its parent scope object,
    directly or through a group (guardian's four direct-foreign-key tables, one UNION query).
    """

    def __init__(self, user):
        self.user = user
        self._held: dict[tuple[type[Model], object], set[str]] = {}

    def _load(self, scope: ObjectScope, obj) -> None:
        """One query: the codenames held on ``obj`` and on its parent (if it has a parent scope)."""
        targets = [(scope, obj.pk)]
        if scope.parent:
            parent_scope = _SCOPES[scope.model._meta.get_field(scope.parent).related_model]
            targets.append((parent_scope, getattr(obj, f"{scope.parent}_id")))
        parts = []
        for index, (target_scope, pk) in enumerate(targets):
            tag = Value(str(index), output_field=CharField())
            parts.append(target_scope.user_perms.objects.filter(user=self.user, content_object_id=pk)
                         .annotate(target=tag).values_list("target", "permission__codename"))
            group_perms = _group_perms_model(target_scope.model)
            parts.append(group_perms.objects.filter(group__user=self.user, content_object_id=pk)
                         .annotate(target=tag).values_list("target", "permission__codename"))
        rows = parts[0].union(*parts[1:], all=True)
        held = {index: set() for index in range(len(targets))}
        for target, codename in rows:
            held[int(target)].add(codename)
        for index, (target_scope, pk) in enumerate(targets):
            self._held.setdefault((target_scope.model, pk), held[index])

    def _codenames(self, scope: ObjectScope, obj) -> set[str]:
        key = (scope.model, obj.pk)
        if key not in self._held:
            self._load(scope, obj)
        return self._held[key]

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
        if action in scope.perms and scope.perms[action] in self._codenames(scope, obj):
            return True
        if action not in scope.cascade:
            return False
        parent_model = scope.model._meta.get_field(scope.parent).related_model
        parent_id = getattr(obj, f"{scope.parent}_id")
        if (parent_model, parent_id) not in self._held:
            self._load(scope, obj)
        return scope.cascade[action] in self._held[(parent_model, parent_id)]

    def has_on_every_child(self, action: Action, parent, child_model: type[Model]) -> bool:
        """Whether what the user holds on ``parent`` itself (an account role) grants ``action`` on every
        ``child_model`` row under it (all the account's profiles): a list of them then needs no permission
        filter per row. No query when the parent's codenames are already loaded for this request."""
        user = self.user
        if not user.is_authenticated or not user.is_active:
            return False
        if _is_superuser(user):
            return True
        scope = _SCOPES[child_model]
        if action not in scope.cascade:
            return False
        return scope.cascade[action] in self._codenames(_SCOPES[type(parent)], parent)

    def flags(self, obj) -> dict[str, bool]:
        """``can_*`` flags for templates, which never decide who may do what themselves."""
        return {f"can_{a.value}": self.has(a, obj) for a in scope_for(obj).actions}


def has_action(user, action: Action, obj) -> bool:
    return PermissionChecker(user).has(action, obj)


def objects_with_action(user, action: Action, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` on which the user may do ``action``, directly or through the parent. One query.

    Written as ``pk IN (…) OR parent_id IN (…)`` over uncorrelated subqueries, which PostgreSQL
    computes once per query (a hashed subplan) instead of probing the permission tables for every
    row as a correlated EXISTS under OR would: over 10,000 profiles, the difference between the
    list's first page and the admin's."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if _is_superuser(user):
        return queryset
    scope = _SCOPES[queryset.model]
    conditions = []
    if action in scope.perms:
        conditions.append(Q(pk__in=scope.user_perms.objects.filter(
            user=user, permission__codename=scope.perms[action]).values("content_object_id")))
    if action in scope.cascade:
        parent = _SCOPES[scope.model._meta.get_field(scope.parent).related_model]
        conditions.append(Q(**{f"{scope.parent}_id__in": parent.user_perms.objects.filter(
            user=user, permission__codename=scope.cascade[action]).values("content_object_id")}))
    if not conditions:
        raise ValueError(f"{action} is not an action on {scope.model.__name__}")
    condition = conditions[0]
    for extra in conditions[1:]:
        condition |= extra
    return queryset.filter(condition)


# --- Support engineers (the Django admin) ------------------------------------------------------
# Support engineers are staff users; what each of them may do is a Django permission of the core
# app, held through one of the groups below (superusers hold every one). The admin and the services
# ask ``support_may`` / ``require_support``; nothing else looks at ``is_staff`` or ``has_perm``.


class SupportAction(enum.StrEnum):
    VIEW = "support_view"
    EDIT = "support_edit"  # correct accounts, profiles and recipients; record purchases
    MANAGE_USERS = "support_manage_users"  # customers' user records (never staff, never permissions)
    MANAGE_ROLES = "support_manage_roles"
    MANAGE_PAYMENT_METHODS = "support_manage_payment_methods"
    VOID = "support_void"
    RERENDER = "support_rerender"
    RESEND = "support_resend"
    RECORD_TRANSFER = "support_record_transfer"
    ADJUST_CREDIT = "support_adjust_credit"  # add credit lots, adjust what is left


# The Django permission of each support action (``core.<codename>``): see ``User.Meta.permissions``.
SUPPORT_PERMISSION_APP = "core"

SUPPORT_READ_ONLY_GROUP = "Support (read-only)"
SUPPORT_GROUP = "Support"
SUPPORT_GROUPS: dict[str, frozenset[SupportAction]] = {
    SUPPORT_READ_ONLY_GROUP: frozenset({SupportAction.VIEW}),
    SUPPORT_GROUP: frozenset(SupportAction),
}


def support_may(user, action: SupportAction) -> bool:
    """May this support engineer (an active staff user) do ``action`` in the admin or a support service?"""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active or not user.is_staff:
        return False
    return _is_superuser(user) or user.has_perm(f"{SUPPORT_PERMISSION_APP}.{action.value}")


def require_support(user, action: SupportAction) -> None:
    if not support_may(user, action):
        raise PermissionDenied(_("Your support role does not allow this."))


def may_change_user(actor, target) -> bool:
    """Support with the user right edits customers' records; staff records (and so anyone's access to
    this admin) are the superusers' to change. ``target`` None: a new user."""
    if not support_may(actor, SupportAction.MANAGE_USERS):
        return False
    if _is_superuser(actor):
        return True
    return target is None or not (target.is_staff or target.is_superuser)


def may_change_user_permissions(actor, target) -> bool:
    """Only a superuser changes staff status, superuser status, groups and permissions, and never
    their own: nobody raises (or accidentally drops) their own rights."""
    return _is_superuser(actor) and actor.is_staff and (target is None or target.pk != actor.pk)


def support_groups_sync(**_kwargs) -> None:
    """Create the support groups with exactly their permissions (idempotent; runs after migrate)."""
    from django.contrib.auth.models import Group, Permission

    perms = {p.codename: p for p in Permission.objects.filter(
        content_type__app_label=SUPPORT_PERMISSION_APP, codename__in=[a.value for a in SupportAction])}
    if len(perms) != len(SupportAction):
        return  # the core app's permissions are created by its own post_migrate; we run again after it
    for name, actions in SUPPORT_GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set([perms[a.value] for a in actions])
