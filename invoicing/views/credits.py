"""The Azure credit balance and Azure credits tabs, and the transactions CSV export."""

from __future__ import annotations

from django.core.paginator import Paginator

from billing_admin.core.csv import csv_response
from billing_admin.core.htmx import render_page_or_partial
from billing_admin.core.labels import choice_labels
from billing_admin.core.money import round_money
from billing_admin.core.permissions import Action
from billing_admin.core.views import object_action_required
from invoicing.models import CreditTransaction
from invoicing.selectors import (
    credit_balance_summary,
    credit_lots_for,
    credit_transactions_for,
    lot_expires_soon,
    profile_with_credits_loader,
)
from profiles.tabs import profile_tab_context


@object_action_required(Action.VIEW, profile_with_credits_loader)
def profile_credit_balance(request, profile):
    context = profile_tab_context(request, profile, "credit-balance")
    context["summary"] = credit_balance_summary(profile=profile)
    context["page"] = Paginator(credit_transactions_for(profile=profile), 50).get_page(request.GET.get("page"))
    return render_page_or_partial(request, "invoicing/profile_credit_balance.html", context)


@object_action_required(Action.VIEW, profile_with_credits_loader)
def profile_credits(request, profile):
    context = profile_tab_context(request, profile, "credits")
    context["summary"] = credit_balance_summary(profile=profile)
    page = Paginator(credit_lots_for(profile=profile), 50).get_page(request.GET.get("page"))
    context["page"] = context["lots"] = page
    context["expiring_ids"] = {lot.pk for lot in page if lot_expires_soon(lot)}
    return render_page_or_partial(request, "invoicing/profile_credits.html", context)


@object_action_required(Action.VIEW, profile_with_credits_loader)
def credit_transactions_csv(request, profile):
    kinds = choice_labels(CreditTransaction, "kind")  # translated once, not per row
    rows = (
        (t.created.date().isoformat(), kinds.get(t.kind, t.kind), t.label, t.lot.reference,
         round_money(t.amount, t.lot.currency), round_money(t.balance_after, t.lot.currency), t.lot.currency,
         t.invoice.number if t.invoice else "")
        for t in credit_transactions_for(profile=profile).order_by("created", "pk")
    )
    header = ["date", "kind", "description", "lot_reference", "amount", "balance_after", "currency", "invoice"]
    return csv_response(f"credit-transactions-{profile.pk}.csv", header, rows)
