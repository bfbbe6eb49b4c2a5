from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from billing_admin.core.models import ActivityEvent
from invoicing.models import CreditLot, CreditTransaction, Invoice
from invoicing.selectors import credit_balance_summary
from invoicing.services.charges import purchase_record
from invoicing.services.credits import credit_adjust, credit_lot_add, credit_lots_expire
from invoicing.services.invoices import billing_run, invoice_void
from invoicing.tasks.credits import expire_credit_lots_task
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory

pytestmark = pytest.mark.django_db


def lot(profile, amount, expires, start=date(2026, 1, 1), source="promotional"):
    return credit_lot_add(actor=None, profile=profile, source=source, amount=amount, start_date=start,
                          expiration_date=expires)


def ledger_holds(profile):
    last = CreditTransaction.objects.filter(profile=profile).order_by("pk").last()
    total = CreditLot.objects.filter(profile=profile).aggregate(s=Sum("remaining"))["s"] or 0
    assert last.balance_after == total
    for each in CreditLot.objects.filter(profile=profile):
        assert 0 <= each.remaining <= each.original_amount


def test_adding_a_lot_writes_credit_added_and_an_activity_event():
    profile = BillingProfileFactory()
    added = lot(profile, "100.005", date(2026, 12, 31))
    assert added.original_amount == Decimal("100.01") and added.currency == "EUR"  # rounded half-up
    (entry,) = CreditTransaction.objects.all()
    assert (entry.kind, entry.amount, entry.balance_after) == ("credit_added", Decimal("100.01"), Decimal("100.01"))
    assert ActivityEvent.objects.filter(verb="credit.lot_added", profile=profile).exists()


def test_a_lot_in_another_currency_is_refused():
    profile = BillingProfileFactory()
    with pytest.raises(ValidationError, match="EUR"):
        credit_lot_add(actor=None, profile=profile, source="prepayment", amount="10", currency="USD",
                       start_date=date(2026, 1, 1), expiration_date=date(2026, 12, 31))
    assert not CreditLot.objects.exists()


@pytest.mark.parametrize(("amount", "start", "end", "message"), [
    ("0", date(2026, 1, 1), date(2026, 2, 1), "greater than zero"),
    ("10", date(2026, 2, 1), date(2026, 1, 1), "before the start"),
])
def test_bad_lots_are_refused_with_a_reason(amount, start, end, message):
    profile = BillingProfileFactory()
    with pytest.raises(ValidationError, match=message):
        credit_lot_add(actor=None, profile=profile, source="prepayment", amount=amount, start_date=start,
                       expiration_date=end)
    assert not CreditLot.objects.exists() and not CreditTransaction.objects.exists()


def test_the_expiration_date_itself_is_still_usable_and_the_lot_expires_the_day_after(settings):
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14: dates are billing dates, not local wall clocks
    profile = BillingProfileFactory(account=BillingAccountFactory(tax_rate=0))
    expiring = lot(profile, "30", date(2026, 10, 31))
    assert credit_lots_expire(today=date(2026, 10, 31)) == 0
    assert credit_lots_expire(today=date(2026, 11, 1)) == 1
    expiring.refresh_from_db()
    assert (expiring.status, expiring.remaining) == ("expired", 0)
    last = CreditTransaction.objects.order_by("pk").last()
    assert (last.kind, last.amount, last.balance_after) == ("expired", Decimal("-30"), Decimal("0"))
    ledger_holds(profile)


def test_a_lot_is_used_on_its_expiration_date_by_an_invoice_of_that_day():
    profile = BillingProfileFactory(account=BillingAccountFactory(tax_rate=0))
    lot(profile, "30", date(2026, 11, 1))
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="50",
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
    billing_run(day=date(2026, 11, 1))
    assert Invoice.objects.get().credits_applied == Decimal("30")


def test_the_daily_task_expires_lots():
    profile = BillingProfileFactory()
    lot(profile, "5", date(2020, 1, 31), start=date(2020, 1, 1))
    assert expire_credit_lots_task.delay().get() == 1
    assert CreditLot.objects.get().status == "expired"


def test_application_spans_lots_in_expiry_order_and_the_ledger_matches_the_invoice():
    profile = BillingProfileFactory(account=BillingAccountFactory(tax_rate=21))
    third = lot(profile, "40", date(2027, 3, 31))
    first = lot(profile, "10", date(2026, 11, 30))
    second = lot(profile, "15", date(2026, 12, 31))
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="30",
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
    billing_run(day=date(2026, 11, 1))
    invoice = Invoice.objects.get()
    applied = list(CreditTransaction.objects.filter(invoice=invoice).order_by("pk"))
    assert [t.lot_id for t in applied] == [first.pk, second.pk, third.pk]
    assert [t.amount for t in applied] == [Decimal("-10"), Decimal("-15"), Decimal("-5")]
    assert invoice.credits_applied == -sum(t.amount for t in applied) == Decimal("30")
    assert invoice.lines.get().credits_applied == Decimal("30")
    ledger_holds(profile)


def test_voiding_returns_credit_and_an_expired_lot_expires_again_at_once():
    profile = BillingProfileFactory(account=BillingAccountFactory(tax_rate=0))
    old = lot(profile, "20", date(2026, 11, 5))
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="50",
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
    billing_run(day=date(2026, 11, 1))
    credit_lots_expire(today=date(2026, 11, 10))
    invoice_void(actor=None, invoice=Invoice.objects.get(), reason="duplicate")
    old.refresh_from_db()
    assert old.status == "expired" and old.remaining == 0
    kinds = list(CreditTransaction.objects.filter(lot=old).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["credit_added", "applied_to_invoice", "returned", "expired"]
    ledger_holds(profile)


def test_adjustments_need_a_reason_and_stay_within_the_lot():
    profile = BillingProfileFactory()
    each = lot(profile, "10", date(2027, 1, 1))
    with pytest.raises(ValidationError, match="why"):
        credit_adjust(actor=None, lot=each, amount="-1", reason="")
    with pytest.raises(ValidationError, match="only"):
        credit_adjust(actor=None, lot=each, amount="-11", reason="typo")
    with pytest.raises(ValidationError, match="original"):
        credit_adjust(actor=None, lot=each, amount="1", reason="typo")
    entry = credit_adjust(actor=None, lot=each, amount="-2.5", reason="Goodwill reversed")
    assert (entry.kind, entry.balance_after) == ("adjustment", Decimal("7.50"))
    assert ActivityEvent.objects.filter(verb="credit.adjusted").count() == 1
    ledger_holds(profile)


def test_an_adjustment_leaves_room_for_credit_a_void_would_return():
    profile = BillingProfileFactory(account=BillingAccountFactory(tax_rate=0))
    each = lot(profile, "100", date(2027, 1, 1))
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="60",
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
    billing_run(day=date(2026, 11, 1))
    each.refresh_from_db()
    assert each.remaining == Decimal("40")
    with pytest.raises(ValidationError, match="may still be voided"):
        credit_adjust(actor=None, lot=each, amount="60", reason="restore")
    invoice_void(actor=None, invoice=Invoice.objects.get(), reason="wrong PO")
    each.refresh_from_db()
    assert each.remaining == Decimal("100")
    credit_adjust(actor=None, lot=each, amount="-60", reason="correction")  # the voided invoice gave it back
    ledger_holds(profile)


def test_pages_and_voids_count_expiry_in_the_same_utc_dates_as_the_daily_task(settings):
    from datetime import timedelta

    from django.utils import timezone

    utc_today = timezone.now().date()  # aware, in UTC
    # A server clock a day away from UTC: UTC−12 in the UTC morning, UTC+14 in the afternoon.
    settings.TIME_ZONE = "Etc/GMT+12" if timezone.now().hour < 12 else "Pacific/Kiritimati"
    assert date.today() != utc_today
    profile = BillingProfileFactory(account=BillingAccountFactory(tax_rate=0))
    lot(profile, "10", utc_today - timedelta(days=1))  # expired by the UTC date; the task has not run
    last_day = lot(profile, "20", utc_today)  # still usable today
    summary = credit_balance_summary(profile=profile)
    assert list(summary["expiring_lots"]) == [last_day] and summary["expiring_soon"] == Decimal("20")
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="1", unit_price="5",
        service_period_start=utc_today - timedelta(days=40), service_period_end=utc_today - timedelta(days=1))])
    billing_run(day=utc_today, profile_id=profile.pk)
    invoice_void(actor=None, invoice=Invoice.objects.get(), reason="wrong PO")
    last_day.refresh_from_db()
    assert (last_day.status, last_day.remaining) == ("active", Decimal("20"))  # not expired a day early
    ledger_holds(profile)


def test_run_billing_expires_lots_first_but_never_ahead_of_today(capsys):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    today = timezone.now().date()
    profile = BillingProfileFactory(account=BillingAccountFactory(tax_rate=0))
    old = lot(profile, "10", today - timedelta(days=1), start=today - timedelta(days=60))
    soon = lot(profile, "20", today + timedelta(days=2), start=today - timedelta(days=60))
    # The embedded default has no beat: the in-process run expires what has expired by today ...
    call_command("run_billing", "--date", (today + timedelta(days=10)).isoformat())
    assert "1 credit lot(s) expired" in capsys.readouterr().out
    old.refresh_from_db()
    soon.refresh_from_db()
    assert (old.status, old.remaining) == ("expired", 0)
    assert CreditTransaction.objects.filter(lot=old).last().kind == "expired"
    # ... but a run for a future date leaves alone credit that is still usable today.
    assert (soon.status, soon.remaining) == ("active", Decimal("20"))
    assert credit_balance_summary(profile=profile)["current"] == Decimal("20")
    ledger_holds(profile)
