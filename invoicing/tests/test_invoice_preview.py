"""The next-invoice preview is the invoice the run then issues: one code path, any charges and lots."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_admin.core.money import format_money, round_money
from conftest import grant
from invoicing.models import CreditTransaction, Invoice
from invoicing.services.charges import purchase_record
from invoicing.services.credits import credit_lot_add
from invoicing.services.drafts import invoice_preview, next_invoice_day
from invoicing.services.invoices import billing_period, billing_run
from profiles.models import Role
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory, UserFactory

DAY = date(2026, 12, 1)  # the invoice day: billing period 1–30 November
charges = st.lists(st.tuples(
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("50"), places=4),  # quantity
    st.decimals(min_value=Decimal("0"), max_value=Decimal("999.99"), places=3),  # unit price
    st.booleans(),  # credit eligible
    st.integers(0, 45),  # service period ends this many days after 1 November (some after the period)
), min_size=0, max_size=8)
lots = st.lists(st.tuples(
    st.decimals(min_value=Decimal("1"), max_value=Decimal("800"), places=2),  # ≥ 1: a JPY lot of 0.01 is refused
    st.integers(-40, 60),  # starts this many days before the invoice day (negative: after it)
    st.integers(-5, 90),  # expires this many days after the invoice day (negative: before it)
), min_size=0, max_size=4)


def setup_profile(country, rate, charge_rows, lot_rows):
    profile = BillingProfileFactory(account=BillingAccountFactory(country=country, tax_rate=rate), invoice_day=1)
    for amount, starts_before, expires_after in lot_rows:
        start = DAY - timedelta(days=starts_before)
        credit_lot_add(actor=None, profile=profile, source="prepayment", amount=amount, start_date=start,
                       expiration_date=max(start, DAY + timedelta(days=expires_after)))
    if charge_rows:
        purchase_record(actor=None, account=profile.account, profile=profile, items=[
            dict(product=f"SKU{i}", description=f"Item {i}", quantity=q, unit_price=p, credit_eligible=e,
                 service_period_start=date(2026, 11, 1), service_period_end=date(2026, 11, 1) + timedelta(days=d))
            for i, (q, p, e, d) in enumerate(charge_rows)])
    return profile


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(charge_rows=charges, lot_rows=lots, currency=st.sampled_from([("NL", 21), ("JP", 10), ("KW", 5), ("US", 0)]))
def test_the_preview_is_the_invoice_the_run_issues(charge_rows, lot_rows, currency):
    profile = setup_profile(*currency, charge_rows, lot_rows)
    draft = invoice_preview(profile=profile, day=DAY)
    billing_run(day=DAY, profile_id=profile.pk)
    start, end = billing_period(DAY)
    invoice = Invoice.objects.filter(profile=profile, period_start=start, period_end=end).first()
    if draft is None:
        assert invoice is None
        return
    assert invoice is not None
    cur = profile.currency
    assert (draft.subtotal, draft.credits_applied, draft.tax, draft.total, draft.amount_due) == (
        invoice.subtotal, invoice.credits_applied, invoice.tax, invoice.total, invoice.amount_due)
    assert [(x.charge.pk, x.credits_applied) for x in draft.lines] == [
        (line.charge_id, line.credits_applied) for line in invoice.lines.order_by("position")]
    taken = {}
    for t in CreditTransaction.objects.filter(invoice=invoice, kind="applied_to_invoice"):
        taken[t.lot_id] = taken.get(t.lot_id, Decimal(0)) - t.amount
    assert taken == {lot_id: amount for lot_id, amount in draft.lot_takes.items() if amount}
    assert round_money(invoice.amount_due, cur) == invoice.amount_due


@pytest.mark.django_db
def test_dry_run_prints_the_preview_and_writes_nothing():
    profile = setup_profile("NL", 21, [(Decimal("3"), Decimal("33.335"), True, 10)],
                            [(Decimal("20"), 30, 30)])
    draft = invoice_preview(profile=profile, day=DAY)
    out = io.StringIO()
    call_command("run_billing", "--date", DAY.isoformat(), "--profile", str(profile.pk), "--dry-run", stdout=out)
    assert (f"(would invoice {profile.name}: 1 lines, subtotal 100.01, credits 20.00, tax {draft.tax}, "
            f"amount due {draft.amount_due} EUR)") in out.getvalue()
    assert draft.amount_due == Decimal("100.01") - 20 + Decimal("16.80")
    assert not Invoice.objects.exists()


def test_the_next_invoice_day_is_after_today():
    profile = BillingProfileFactory.build(invoice_day=15)
    assert next_invoice_day(profile, date(2026, 11, 14)) == date(2026, 11, 15)
    assert next_invoice_day(profile, date(2026, 11, 15)) == date(2026, 12, 15)
    assert next_invoice_day(profile, date(2026, 12, 20)) == date(2027, 1, 15)


@pytest.mark.django_db
def test_the_invoices_tab_and_the_overview_show_the_preview(client, billing_day):
    billing_day(date(2026, 11, 20))
    profile = setup_profile("NL", 21, [(Decimal("2"), Decimal("50"), True, 10)], [(Decimal("30"), 30, 30)])
    reader = UserFactory()
    grant(reader, Role.READER, profile)
    client.force_login(reader)
    draft = invoice_preview(profile=profile, day=DAY)
    for url in (reverse("invoicing:profile-invoices", args=[profile.pk]),
                reverse("profiles:profile-overview", args=[profile.pk])):
        text = client.get(url).text
        assert "Next invoice" in text, url
        assert format_money(draft.amount_due, "EUR", "en") in text and "-€30.00" in text
        assert "Dec 1, 2026" in text
