"""What higher apps add to the profile pages: tabs, notices, list columns, rules that block a change.

``profiles`` never imports a higher app. An app that must show something on the profile pages
(``invoicing``: the invoice and credit tabs, the past-due notice, the list's latest-invoice
column, the invoices, amounts due and spend chart on the billing account page) or must be asked before a
profile changes (unpaid invoices block disabling) registers it here from its ``AppConfig.ready()``,
the way pretix and Oscar let apps plug into a page.
Registering the same key twice replaces the entry (``ready()`` may run again in tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.paginator import Page
from django.db.models import QuerySet


@dataclass(frozen=True)
class Tab:
    """A tab of the profile page: a real URL (``url_name`` takes the profile id)."""

    key: str
    label: str
    url_name: str
    order: int
    visible: Callable[[object], bool] | None = None  # (profile) → shown? None: always


@dataclass(frozen=True)
class Fragment:
    """A template included on the profile pages with ``data`` from ``context(profile)``.

    ``context`` returns None when there is nothing to show."""

    key: str
    template: str
    context: Callable[[object], dict | None]


@dataclass(frozen=True)
class ListColumn:
    """A column of the profile list: ``annotate(queryset)`` adds what ``template`` shows of each
    ``profile`` (one subquery, so the list's query count does not grow with the page)."""

    key: str
    header: str
    annotate: Callable[[QuerySet], QuerySet]
    template: str
    data: dict = field(default_factory=dict)  # what else the template needs, as ``data``


@dataclass(frozen=True)
class AccountSummary:
    """What a higher app shows on the billing account page about the account's profiles.

    ``summarize(account, visible, page)`` returns a dict (a fixed number of queries, whatever the number of
    profiles) with ``per_profile``: {profile id: data} for the profiles of ``page`` (the page of the account's
    profile table: a list of at most 25), which ``profile_template`` shows in the column ``header`` of that
    table (as ``data``), and whatever ``template`` shows as a section of the page (the whole dict, as
    ``data``) about all of ``visible`` (a queryset of every profile of the account the viewer may see:
    sums and counts are the database's, never a loop over thousands of rows)."""

    key: str
    header: str
    profile_template: str
    template: str
    summarize: Callable[[object, QuerySet | None, list], dict]


@dataclass(frozen=True)
class AccountCard:
    """A card on the billing account page (the spend per profile chart): ``template`` shows, as ``card``, what
    ``context(account, page)`` returns for ``page``, the page of the profile table (a ``Page`` of the account's
    profiles the viewer may see, 25 at most; ``page.paginator.count`` counts them all), in a fixed number of
    queries, or nothing when it returns None."""

    key: str
    template: str
    context: Callable[[object, Page], dict | None]


# A rule returns why the change cannot happen now (a sentence for the user), or None.
Blocker = Callable[[object], str | None]


@dataclass
class _Registry:
    tabs: dict[str, Tab]
    notices: dict[str, Fragment]
    list_columns: dict[str, ListColumn]
    disable_blockers: dict[str, Blocker]
    payment_method_removal_blockers: dict[str, Blocker]
    overview_cards: dict[str, Fragment] = field(default_factory=dict)
    profile_annotations: dict[str, Callable[[], object]] = field(default_factory=dict)
    account_summaries: dict[str, AccountSummary] = field(default_factory=dict)
    account_cards: dict[str, AccountCard] = field(default_factory=dict)
    # How the activity views name what happened and which field changed (verb / field → label).
    activity_verbs: dict[str, str] = field(default_factory=dict)
    activity_fields: dict[str, str] = field(default_factory=dict)
    activity_values: dict[str, str] = field(default_factory=dict)  # stored choice value → label


registry = _Registry(tabs={}, notices={}, list_columns={}, disable_blockers={}, payment_method_removal_blockers={},
                     overview_cards={})


def register_profile_annotation(name: str, expression: Callable[[], object]) -> None:
    """``expression()``: a query expression (``Exists``, ``Subquery``) computed with the profile itself
    when a profile page loads it, so what a tab or notice needs of a higher app costs no query of its own."""
    registry.profile_annotations[name] = expression


def annotate_profile(queryset: QuerySet) -> QuerySet:
    annotations = {name: expression() for name, expression in registry.profile_annotations.items()}
    return queryset.annotate(**annotations) if annotations else queryset


def register_tab(tab: Tab) -> None:
    registry.tabs[tab.key] = tab


def register_notice(fragment: Fragment) -> None:
    """Shown above the tabs on every tab of the profile page (a warning, a banner)."""
    registry.notices[fragment.key] = fragment


def register_overview_card(fragment: Fragment) -> None:
    """A card on the profile's Overview tab (the next-invoice preview, the spend chart), in registration order."""
    registry.overview_cards[fragment.key] = fragment


def register_list_column(column: ListColumn) -> None:
    registry.list_columns[column.key] = column


def register_disable_blocker(key: str, rule: Blocker) -> None:
    """``rule(profile)``: why the profile cannot be disabled, or None."""
    registry.disable_blockers[key] = rule


def register_payment_method_removal_blocker(key: str, rule: Blocker) -> None:
    """``rule(profile)``: why the profile's only payment method cannot be removed, or None."""
    registry.payment_method_removal_blockers[key] = rule


def register_account_summary(summary: AccountSummary) -> None:
    registry.account_summaries[summary.key] = summary


def account_summaries_for(account, visible: QuerySet | None, page: list) -> list[dict]:
    """Each registered summary with its data for the account page: about all ``visible`` profiles (None: every
    profile of the account, for a viewer whose account role covers them all), and about each profile of
    ``page`` (the profiles of the table's current page)."""
    return [{"summary": s, "data": s.summarize(account, visible, page)} for s in registry.account_summaries.values()]


def register_account_card(card: AccountCard) -> None:
    registry.account_cards[card.key] = card


def account_cards_for(account, page: Page) -> list[dict]:
    """Each registered account card with something to show about the profiles of the table's ``page``, in
    registration order."""
    shown = []
    for card in registry.account_cards.values():
        data = card.context(account, page)
        if data is not None:
            shown.append({"template": card.template, "data": data})
    return shown


def register_activity_labels(*, verbs: dict | None = None, fields: dict | None = None,
                             values: dict | None = None) -> None:
    """Labels (lazy translations) the activity views show for an app's verbs, changed fields and the choice
    values it stores in the log (statuses, kinds)."""
    registry.activity_verbs.update(verbs or {})
    registry.activity_fields.update(fields or {})
    registry.activity_values.update(values or {})


def list_columns() -> list[ListColumn]:
    return list(registry.list_columns.values())


def tabs_for(profile) -> list[Tab]:
    return [t for t in sorted(registry.tabs.values(), key=lambda t: t.order) if t.visible is None or t.visible(profile)]


def notices_for(profile) -> list[dict]:
    return _shown(registry.notices.values(), profile)


def _shown(fragments, profile) -> list[dict]:
    shown = []
    for fragment in fragments:
        data = fragment.context(profile)
        if data is not None:
            shown.append({"template": fragment.template, "data": data})
    return shown


def overview_cards_for(profile) -> list[dict]:
    return _shown(registry.overview_cards.values(), profile)


def first_blocker(rules: dict[str, Blocker], obj) -> str | None:
    for rule in rules.values():
        reason = rule(obj)
        if reason:
            return reason
    return None
