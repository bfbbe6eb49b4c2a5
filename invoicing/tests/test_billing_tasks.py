"""The invoice-run tasks enqueue each PDF once, and a redelivered task finishes what a dead worker left."""

from datetime import date

import pytest

from billing_admin.core.models import ActivityEvent
from invoicing.models import Invoice
from invoicing.services.charges import purchase_record
from invoicing.services.credits import credit_lot_add
from invoicing.services.pdf import invoice_pdf_bytes
from invoicing.tasks import billing as billing_tasks
from profiles.tests.factories import BillingAccountFactory, BillingProfileFactory

pytestmark = pytest.mark.django_db
DAY = "2026-11-01"


def _profile_with_charge():
    profile = BillingProfileFactory()
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product="VM", description="VM", quantity="2", unit_price="12.50",
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))])
    return profile


@pytest.fixture
def render_enqueues(monkeypatch):
    calls = []
    original = billing_tasks.render_invoice_pdf_task.delay

    def record(invoice_id):
        calls.append(invoice_id)
        return original(invoice_id)

    monkeypatch.setattr(billing_tasks.render_invoice_pdf_task, "delay", record)
    return calls


def test_a_new_invoice_has_its_pdf_rendered_exactly_once_by_the_worker_that_issued_it(
        render_enqueues, django_capture_on_commit_callbacks, mailoutbox):

    profiles = [_profile_with_charge() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for profile in profiles:
            billing_tasks.generate_invoice_task.delay(profile.pk, DAY)
    invoices = list(Invoice.objects.order_by("pk"))
    assert len(invoices) == 3 and all(inv.pdf for inv in invoices)
    assert all(inv.email_status == Invoice.EmailStatus.SENT for inv in invoices) and len(mailoutbox) == 3
    rendered = ActivityEvent.objects.filter(verb="invoice.pdf_rendered")
    assert sorted(int(e.target_id) for e in rendered) == [inv.pk for inv in invoices]
    assert render_enqueues == []  # no second task per invoice


def test_a_task_redelivered_after_the_commit_renders_and_mails_the_invoice_it_finds(
        render_enqueues, django_capture_on_commit_callbacks, mailoutbox):
    profile = _profile_with_charge()
    with django_capture_on_commit_callbacks(execute=False):  # the worker died before the on-commit enqueue
        billing_tasks.generate_invoice_task.delay(profile.pk, DAY)
    invoice = Invoice.objects.get()
    assert not invoice.pdf and render_enqueues == []
    with django_capture_on_commit_callbacks(execute=True):
        billing_tasks.generate_invoice_task.delay(profile.pk, DAY)  # acks_late: the broker delivers it again
    invoice = Invoice.objects.get()  # still one invoice, now with its PDF and its e-mail
    assert invoice.pdf and invoice.email_status == Invoice.EmailStatus.SENT
    assert render_enqueues == [invoice.pk] and len(mailoutbox) == 1
    assert mailoutbox[0].attachments[0][0] == f"invoice-{invoice.number}.pdf"


def test_the_beat_sweeps_again_every_hour_after_the_billing_hour_so_a_run_cut_short_finishes_that_day(settings):
    # A Redis restart without persistence loses the day's queued tasks; the next sweep re-enqueues them.
    schedule = settings.CELERY_BEAT_SCHEDULE["daily-billing"]["schedule"]
    assert schedule.hour == set(range(2, 24)) and schedule.minute == {0}


def test_a_later_sweep_enqueues_only_the_profiles_still_without_their_invoice(monkeypatch):
    billed, waiting = _profile_with_charge(), _profile_with_charge()
    billing_tasks.generate_invoice_task(billed.pk, DAY)
    sent = []
    monkeypatch.setattr(billing_tasks.generate_invoices_task, "delay", lambda ids, day: sent.append(ids))
    assert billing_tasks.daily_billing_task(DAY) == 1
    assert sent == [[waiting.pk]]


def test_the_pdf_the_issuing_worker_renders_is_the_pdf_the_database_gives(django_capture_on_commit_callbacks):
    """The worker renders a new invoice from the lines it has just written, without reading them back: the
    stored PDF must be byte for byte the one rendered from the invoice as the database has it (fractional
    quantities and prices, credits applied to some lines, the lines' order)."""
    profile = BillingProfileFactory(account=BillingAccountFactory(tax_rate=21))
    credit_lot_add(actor=None, profile=profile, source="promotional", amount="7.35", start_date=date(2026, 1, 1),
                   expiration_date=date(2027, 1, 1))
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product=f"SKU{i}", description=f"Item {i}", quantity=quantity, unit_price=price, credit_eligible=i % 2 == 0,
        service_period_start=date(2026, 10, 1 + i), service_period_end=date(2026, 10, 31))
        for i, (quantity, price) in enumerate([("2.5", "12.345"), ("1", "0.10"), ("3.0625", "99.999"),
                                               ("0.0001", "1000"), ("7", "3")])])
    with django_capture_on_commit_callbacks(execute=True):
        billing_tasks.generate_invoice_task.delay(profile.pk, DAY)
    invoice = Invoice.objects.select_related("profile__account").prefetch_related("lines").get()
    assert invoice.credits_applied > 0 and invoice.lines.count() == 5
    with invoice.pdf.open("rb") as stored:
        assert stored.read() == invoice_pdf_bytes(invoice)


def test_each_step_of_the_run_records_its_event_in_the_invoice_s_profile_and_account(
        django_capture_on_commit_callbacks, mailoutbox):
    """The activity rows of issue, PDF and e-mail are in the profile's and its account's history (the e-mail
    step takes their ids from the invoice instead of loading the rows)."""
    profile, other = _profile_with_charge(), _profile_with_charge()
    with django_capture_on_commit_callbacks(execute=True):
        billing_tasks.generate_invoice_task.delay(profile.pk, DAY)
    invoice = Invoice.objects.get()
    events = ActivityEvent.objects.filter(target_id=str(invoice.pk), verb__startswith="invoice.").order_by("pk")
    steps = ("invoice.issued", "invoice.pdf_rendered", "invoice.emailed")
    assert [(e.verb, e.profile_id, e.account_id) for e in events] == [
        (verb, profile.pk, profile.account_id) for verb in steps]
    assert profile.account_id != other.account_id and len(mailoutbox) == 1


def test_issuing_rendering_and_mailing_an_invoice_takes_a_fixed_number_of_queries_whatever_its_lines(
        django_capture_on_commit_callbacks, mailoutbox):
    """The invoice run's cost per invoice: 15 statements for issue, PDF and e-mail (a profile without credits
    or subscriptions), the same for 1 line as for 40. (The account's first invoice of the year creates its
    number sequence: the first run here does.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account, counts = BillingAccountFactory(), []
    for lines in (1, 1, 40):
        profile = BillingProfileFactory(account=account)
        purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
            product=f"SKU{i}", description=f"Item {i}", quantity="2", unit_price="12.50",
            service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31)) for i in range(lines)])
        with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
            billing_tasks.generate_invoice_task.delay(profile.pk, DAY)
        counts.append(len([q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]))
    assert Invoice.objects.filter(pdf__gt="", email_status=Invoice.EmailStatus.SENT).count() == 3
    assert len(mailoutbox) == 3
    assert counts[1] == counts[2] <= 15, counts
