"""The invoice run issues profiles' invoices in batches (``invoices_generate``, ``generate_invoices_task``):
each profile gets the invoice it would get alone, one profile's failure stops no other, numbers stay gapless,
and a batch costs the same statements whatever its size."""

from __future__ import annotations

import smtplib
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from conftest import grant, queued_behind, require_postgres, run_in_thread, wait_for_lock_waits
from invoicing.models import Charge, CreditLot, Invoice
from invoicing.services import invoices as invoice_service
from invoicing.services import pdf as pdf_service
from invoicing.services import pipeline
from invoicing.services.charges import purchase_record
from invoicing.services.credits import credit_lot_add
from invoicing.services.invoices import billing_period, invoice_generate, invoices_generate
from invoicing.tasks import billing as billing_tasks
from invoicing.tasks import documents
from profiles.models import BillingAccount, BillingProfile, Role
from profiles.services.profiles import profile_update
from profiles.services.roles import role_revoke
from profiles.tests.factories import (
    BillingAccountFactory,
    BillingProfileFactory,
    CardFactory,
    InvoiceRecipientFactory,
    UserFactory,
)

DAY = date(2026, 11, 1)
START, END = billing_period(DAY)


def _buy(profile, *prices, credit_eligible=True):
    purchase_record(actor=None, account=profile.account, profile=profile, items=[dict(
        product=f"SKU{i}", description=f"Item {i}", quantity="1.5", unit_price=price, credit_eligible=credit_eligible,
        service_period_start=date(2026, 10, 1), service_period_end=date(2026, 10, 31))
        for i, price in enumerate(prices)])


def _accounts_with_profiles(tag: str) -> list[BillingProfile]:
    """Two accounts (NL 21 %, DE 19 %) and five profiles: transfer, card, credits covering part, credits covering
    all, nothing to bill."""
    nl, de = BillingAccountFactory(name=f"NL {tag}"), BillingAccountFactory(name=f"DE {tag}", country="DE", tax_rate=19)
    transfer, card, some_credit = (BillingProfileFactory(account=nl, name=f"{tag} {i}") for i in range(3))
    all_credit, empty = BillingProfileFactory(account=de, name=f"{tag} 3"), BillingProfileFactory(account=de)
    CardFactory(profile=card, is_default=True)
    _buy(transfer, "12.345", "0.10")
    _buy(card, "99.999")
    _buy(some_credit, "40", "7.77")
    _buy(all_credit, "10")
    for profile, amount in ((some_credit, "25.55"), (all_credit, "500"), (transfer, "99")):
        credit_lot_add(actor=None, profile=profile, source="promotional", amount=amount,
                       start_date=date(2026, 1, 1), expiration_date=date(2027, 1, 1))
    # A lot left in another currency (granted before the profile's currency changed) pays nothing.
    CreditLot.objects.filter(profile=transfer).update(currency="USD")
    return [transfer, card, some_credit, all_credit, empty]


def _as_issued(invoice: Invoice | None):
    """What a customer reads on the invoice, apart from the names that differ between the two data sets."""
    if invoice is None:
        return None
    return (invoice.number.rsplit("-", 1)[1], invoice.subtotal, invoice.credits_applied, invoice.tax,
            invoice.total, invoice.amount_due, invoice.status, invoice.payment_means,
            invoice.payment_instructions.replace(invoice.number, "N"), invoice.email_status, invoice.currency,
            [(line.position, line.product, line.quantity, line.unit_price, line.amount, line.credits_applied)
             for line in invoice.lines.order_by("position")],
            sorted(Charge.objects.filter(invoice=invoice).values_list("product", flat=True)))


@pytest.mark.django_db
def test_a_batch_issues_each_profile_the_invoice_it_would_get_alone():
    alone, batch = _accounts_with_profiles("alone"), _accounts_with_profiles("batch")
    one_by_one = [invoice_generate(profile_id=p.pk, period_start=START, period_end=END, issue_date=DAY)
                  for p in alone]
    issued = invoices_generate(profile_ids=[p.pk for p in reversed(batch)], period_start=START, period_end=END,
                               issue_date=DAY)

    assert not issued.failures
    assert [issued.invoices[p.pk][1] for p in batch] == [True, True, True, True, False]
    assert [_as_issued(issued.invoices[p.pk][0]) for p in batch] == [_as_issued(inv) for inv, _ in one_by_one]
    # The data set covers what the batch must keep apart: accounts, means of payment, credits, nothing to bill.
    means = {inv.payment_means for inv, _ in one_by_one if inv}
    assert means == {"transfer", "card", "nothing_due"}, means
    assert one_by_one[2][0].credits_applied > 0 and one_by_one[4] == (None, False)
    assert issued.invoices[batch[0].pk][0].credits_applied == 0  # the lot in dollars paid nothing
    assert batch[0].credit_lots.get().remaining == Decimal("99")
    # Each account's numbers gapless, in the profiles' order; the lots hold what the invoices took.
    assert [issued.invoices[p.pk][0].number.rsplit("-", 1)[1] for p in batch[:4]] == [
        "000001", "000002", "000003", "000001"]
    for profile, granted in ((batch[2], "25.55"), (batch[3], "500")):
        assert profile.credit_lots.get().remaining == Decimal(granted) - issued.invoices[profile.pk][0].credits_applied
    assert batch[2].credit_lots.get().remaining == 0 < batch[3].credit_lots.get().remaining

    again = invoices_generate(profile_ids=[p.pk for p in batch], period_start=START, period_end=END, issue_date=DAY)
    assert {pk: (inv, created) for pk, (inv, created) in again.invoices.items() if inv} == {
        p.pk: (issued.invoices[p.pk][0], False) for p in batch[:4]}
    assert Invoice.objects.count() == 8


@pytest.mark.django_db
def test_a_batch_costs_a_fixed_number_of_statements_plus_three_per_invoice(django_capture_on_commit_callbacks,
                                                                           mailoutbox):
    """Issuing a batch takes the same statements whatever its size (12: the locks, the charges, the lots, the
    payment methods, the recipients, the number, the inserts, the charges' update); then each invoice's PDF
    and e-mail take three (the row's lock, one UPDATE, one INSERT of both activity events)."""
    counts = []
    for size in (2, 8):
        account = BillingAccountFactory()
        profiles = [BillingProfileFactory(account=account) for _ in range(size)]
        for profile in profiles:
            _buy(profile, "10", "20")
        invoice_service._take_numbers(profiles[:1], DAY.year)  # the account's number sequence exists
        ContentType.objects.get_for_model(Invoice)  # the activity rows' type, read once per process
        with CaptureQueriesContext(connection) as issuing:
            issued = invoices_generate(profile_ids=[p.pk for p in profiles], period_start=START, period_end=END,
                                       issue_date=DAY)
        with CaptureQueriesContext(connection) as after, django_capture_on_commit_callbacks(execute=True):
            for invoice, _created in issued.invoices.values():
                billing_tasks._after_generate(invoice, True)
        assert sum(created for _inv, created in issued.invoices.values()) == size
        counts.append([len([q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))])
                       for ctx in (issuing, after)])
    assert len(mailoutbox) == 10
    (issuing_2, after_2), (issuing_8, after_8) = counts
    assert issuing_2 == issuing_8 <= 12 and after_2 == 3 * 2 and after_8 == 3 * 8, counts


@pytest.mark.django_db
def test_one_profile_s_failure_stops_no_other_invoice_of_its_batch_and_takes_no_number(monkeypatch):
    account = BillingAccountFactory()
    profiles = [BillingProfileFactory(account=account) for _ in range(4)]
    for profile in profiles:
        _buy(profile, "10")
    broken = profiles[1]
    draft = invoice_service.invoice_draft

    def draft_failing_for_one_profile(*, charges, **kwargs):
        if charges[0].profile_id == broken.pk:
            raise ValueError("a bug in this profile's data")
        return draft(charges=charges, **kwargs)

    monkeypatch.setattr(invoice_service, "invoice_draft", draft_failing_for_one_profile)
    issued = invoices_generate(profile_ids=[p.pk for p in profiles], period_start=START, period_end=END,
                               issue_date=DAY)

    assert list(issued.failures) == [broken.pk] and "a bug" in str(issued.failures[broken.pk])
    numbers = [issued.invoices[p.pk][0].number.rsplit("-", 1)[1] for p in profiles if p != broken]
    assert numbers == ["000001", "000002", "000003"]
    assert not Invoice.objects.filter(profile=broken).exists()
    assert Charge.objects.filter(profile=broken, invoice__isnull=True).count() == 1


@pytest.mark.django_db
def test_the_task_renders_and_mails_the_batch_s_other_invoices_then_raises_the_failure(
        monkeypatch, django_capture_on_commit_callbacks, mailoutbox):
    account = BillingAccountFactory()
    profiles = [BillingProfileFactory(account=account) for _ in range(3)]
    for profile in profiles:
        _buy(profile, "10")
    draft = invoice_service.invoice_draft

    def draft_failing_for_one_profile(*, charges, **kwargs):
        if charges[0].profile_id == profiles[0].pk:
            raise ValueError("a bug in this profile's data")
        return draft(charges=charges, **kwargs)

    monkeypatch.setattr(invoice_service, "invoice_draft", draft_failing_for_one_profile)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValueError, match="a bug"):
        billing_tasks.generate_invoices_task([p.pk for p in profiles], DAY.isoformat())
    sent = Invoice.objects.filter(pdf__gt="", email_status=Invoice.EmailStatus.SENT)
    assert sorted(sent.values_list("profile_id", flat=True)) == [p.pk for p in profiles[1:]]
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_each_invoice_of_a_batch_is_mailed_to_its_own_profile_s_recipients_only(
        django_capture_on_commit_callbacks, mailoutbox):
    account = BillingAccountFactory()
    first, second, silent = (BillingProfileFactory(account=account) for _ in range(3))
    InvoiceRecipientFactory(profile=first, email="ap@first.example")
    InvoiceRecipientFactory(profile=second, email="ap@second.example")
    InvoiceRecipientFactory(profile=second, email="controller@second.example")
    InvoiceRecipientFactory(profile=silent, email="ap@silent.example")
    BillingProfile.objects.filter(pk=silent.pk).update(invoice_email_opt_in=False)
    for profile in (first, second, silent):
        _buy(profile, "10")
    with django_capture_on_commit_callbacks(execute=True):
        billing_tasks.generate_invoices_task([first.pk, second.pk, silent.pk], DAY.isoformat())
    assert sorted(message.to for message in mailoutbox) == [
        [first.contact_email, "ap@first.example"],
        [second.contact_email, "ap@second.example", "controller@second.example"]]


@pytest.mark.parametrize(("profiles", "most", "spread", "sizes"), [
    (1000, 20, 16, [20] * 50),  # a large run: full batches
    (50, 20, 2, [16, 17, 17]),  # as even as can be, none over the most
    (45, 20, 16, [3] * 15),  # a small run spread over ~16 tasks, so that every worker process takes a share
    (6, 20, 16, [1] * 6),
    (0, 20, 16, []),
])
def test_invoices_are_enqueued_in_consecutive_even_batches(settings, monkeypatch, profiles, most, spread, sizes):
    settings.INVOICE_BATCH_SIZE = most
    monkeypatch.setattr(billing_tasks, "SPREAD_OVER_TASKS", spread)
    batches = []
    monkeypatch.setattr(billing_tasks.generate_invoices_task, "delay", lambda ids, day: batches.append((ids, day)))
    ids = list(range(100, 100 + profiles))
    assert billing_tasks.enqueue_invoices(ids, DAY) == profiles
    assert [len(batch) for batch, _day in batches] == sizes
    assert [pk for batch, _day in batches for pk in batch] == ids and {day for _b, day in batches} <= {"2026-11-01"}


@pytest.mark.django_db
def test_the_daily_run_enqueues_the_due_profiles_by_account_and_each_batch_issues_them(
        settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.INVOICE_BATCH_SIZE = 2
    monkeypatch.setattr(billing_tasks, "SPREAD_OVER_TASKS", 1)
    big, small = BillingAccountFactory(), BillingAccountFactory()
    profiles = [BillingProfileFactory(account=small, invoice_day=1)]  # created first: its pk is the lowest
    profiles += [BillingProfileFactory(account=big, invoice_day=1) for _ in range(4)]
    BillingProfileFactory(account=big, invoice_day=2)  # not due on the 1st
    for profile in profiles:
        _buy(profile, "10")
    batches = []
    monkeypatch.setattr(billing_tasks.generate_invoices_task, "delay", lambda ids, day: batches.append(ids))

    assert billing_tasks.daily_billing_task(DAY.isoformat()) == 5

    by_account = sorted(profiles, key=lambda p: (p.account_id, p.pk))
    assert [len(batch) for batch in batches] == [1, 2, 2]
    assert [pk for batch in batches for pk in batch] == [p.pk for p in by_account]
    with django_capture_on_commit_callbacks(execute=True):
        for batch in batches:
            billing_tasks.generate_invoices_task(batch, DAY.isoformat())
    assert sorted(Invoice.objects.filter(account=big).values_list("sequence", flat=True)) == [1, 2, 3, 4]
    assert Invoice.objects.filter(account=small).count() == 1 and Invoice.objects.filter(pdf__gt="").count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_batches_of_the_same_profiles_and_accounts_at_once_issue_each_invoice_once(caplog):
    """Two workers given overlapping batches of two accounts' profiles at once (a redelivered batch beside the
    original, a sweep beside the run): they wait for each other, neither is undone, and each profile gets one
    invoice, made by one of the two."""
    require_postgres()
    accounts = [BillingAccountFactory(), BillingAccountFactory()]
    profiles = [BillingProfileFactory(account=accounts[i % 2]) for i in range(6)]
    for profile in profiles:
        _buy(profile, "10")
    barrier, results, errors = threading.Barrier(2), [], []

    def issue(ids):
        barrier.wait(timeout=30)
        results.append(invoices_generate(profile_ids=ids, period_start=START, period_end=END, issue_date=DAY))

    ids = [p.pk for p in profiles]
    threads = [run_in_thread(lambda order=order: issue(order), errors) for order in (ids[:4], ids[2:][::-1])]
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads) and not errors and len(results) == 2
    assert all(not r.failures for r in results) and "one by one" not in caplog.text
    created = [pk for r in results for pk, (_inv, made) in r.invoices.items() if made]
    assert sorted(created) == sorted(ids)
    for account in accounts:
        assert sorted(Invoice.objects.filter(account=account).values_list("sequence", flat=True)) == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_a_credit_grant_beside_a_batch_of_its_account_fails_neither_and_undoes_nothing(caplog):
    """Support grants credit on one profile of an account while the run issues a batch of that account's
    profiles, and someone holds the account row for a moment (an account edit). Found in review: the batch
    locked each profile's account with it, so it held the account while it waited for the next profile,
    which the grant held while it waited for the account: a deadlock that failed the grant or undid the
    batch."""
    require_postgres()
    account = BillingAccountFactory()
    first, second = BillingProfileFactory(account=account), BillingProfileFactory(account=account)
    for profile in (first, second):
        _buy(profile, "10")
    errors = queued_behind(
        lambda: BillingAccount.objects.select_for_update().get(pk=account.pk),  # the account edit
        lambda: invoices_generate(profile_ids=[first.pk, second.pk], period_start=START, period_end=END,
                                  issue_date=DAY),
        lambda: credit_lot_add(actor=None, profile=second, source="promotional", amount="5",
                               start_date=date(2026, 1, 1), expiration_date=date(2027, 1, 1)))
    assert not errors
    assert "one by one" not in caplog.text
    assert Invoice.objects.count() == 2 and second.credit_lots.count() == 1


@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_of_one_account_wait_for_each_other_without_undoing_either(caplog):
    """The hourly sweep enqueues profiles whose batch is still queued, in batches with other boundaries: two
    batches that share a profile wait for each other. Found in review: each locked a profile, then the
    account with it, then the next profile, so two of them deadlocked and one was undone."""
    require_postgres()
    account = BillingAccountFactory()
    profiles = [BillingProfileFactory(account=account) for _ in range(3)]
    for profile in profiles:
        _buy(profile, "10")
    errors = queued_behind(
        lambda: BillingAccount.objects.select_for_update().get(pk=account.pk),
        lambda: invoices_generate(profile_ids=[profiles[0].pk, profiles[1].pk], period_start=START,
                                  period_end=END, issue_date=DAY),
        lambda: invoices_generate(profile_ids=[profiles[1].pk, profiles[2].pk], period_start=START,
                                  period_end=END, issue_date=DAY))
    assert not errors and "one by one" not in caplog.text
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == [1, 2, 3]


@pytest.mark.django_db
def test_a_batch_redelivered_after_its_worker_died_queues_the_automatic_charges_it_had_not_reached(
        monkeypatch, django_capture_on_commit_callbacks):
    """The worker issues a batch, then renders each invoice and queues its automatic charge; killed at the
    second, the task is delivered again and finds the invoices issued. Found in review: the charges of the
    invoices it had not reached were never queued, though each says the card will be charged."""
    account = BillingAccountFactory()
    profiles = [BillingProfileFactory(account=account) for _ in range(3)]
    for profile in profiles:
        CardFactory(profile=profile, is_default=True)
        _buy(profile, "10")
    charged = []
    for runner in (documents.QUEUE, documents.RENDER_HERE):
        monkeypatch.setattr(runner, "autocharge", charged.append)
    after_issue, reached = pipeline.after_issue, []

    def killed_at_the_second(invoice, runner):
        reached.append(invoice.pk)
        if len(reached) == 2:
            raise SystemExit("the worker is killed")
        after_issue(invoice, runner)

    monkeypatch.setattr(billing_tasks.pipeline, "after_issue", killed_at_the_second)
    ids = [p.pk for p in profiles]
    with pytest.raises(SystemExit), django_capture_on_commit_callbacks(execute=True):
        billing_tasks.generate_invoices_task(ids, DAY.isoformat())
    monkeypatch.setattr(billing_tasks.pipeline, "after_issue", after_issue)
    with django_capture_on_commit_callbacks(execute=True):
        billing_tasks.generate_invoices_task(ids, DAY.isoformat())  # delivered again
    invoices = sorted(Invoice.objects.filter(payment_means="card").values_list("pk", flat=True))
    assert len(invoices) == 3 and sorted(charged) == invoices  # each queued once
    assert Invoice.objects.filter(pdf__gt="").count() == 3


@pytest.mark.django_db
def test_a_batch_run_again_leaves_a_refused_e_mail_to_its_retrying_task(
        monkeypatch, django_capture_on_commit_callbacks, mailoutbox):
    """One invoice's e-mail is refused (its retry is scheduled, backing off) and another invoice of the batch
    fails with a transient error, so the batch runs again. Found in review: the second run sent the refused
    e-mail again at once, around its backoff, and scheduled another retry."""
    account = BillingAccountFactory()
    refused, failing = BillingProfileFactory(account=account), BillingProfileFactory(account=account)
    for profile in (refused, failing):
        _buy(profile, "10")
    send, retries = documents.invoice_render_and_send, []
    monkeypatch.setattr(documents.email_invoice_task, "apply_async", lambda *a, **k: retries.append(a))

    def render_and_send(*, invoice_id, issued=None):
        invoice = Invoice.objects.get(pk=invoice_id)
        if invoice.profile_id == failing.pk:
            raise OSError("the database connection was lost")
        with monkeypatch.context() as m:
            m.setattr(EmailMultiAlternatives, "send", lambda self, **kw: (_ for _ in ()).throw(
                smtplib.SMTPServerDisconnected("the server went away")))
            return send(invoice_id=invoice_id, issued=issued)

    monkeypatch.setattr(documents, "invoice_render_and_send", render_and_send)
    ids = [refused.pk, failing.pk]
    with pytest.raises(OSError), django_capture_on_commit_callbacks(execute=True):
        billing_tasks.generate_invoices_task(ids, DAY.isoformat())
    assert len(retries) == 1 and Invoice.objects.get(profile=refused).email_attempts == 1
    monkeypatch.setattr(documents, "invoice_render_and_send", send)
    with django_capture_on_commit_callbacks(execute=True):
        billing_tasks.generate_invoices_task(ids, DAY.isoformat())  # Celery's retry of the batch
    assert len(retries) == 1 and Invoice.objects.get(profile=refused).email_attempts == 1
    assert [m.to[0] for m in mailoutbox] == [failing.contact_email]  # only the one never tried


@pytest.mark.django_db(transaction=True)
def test_one_invoice_s_failed_pdf_stops_none_of_the_others_on_a_worker(monkeypatch, mailoutbox):
    """On a worker (no transaction around the task) each invoice is rendered and mailed right after the
    batch's commit: one invoice's failure is raised after the others are done."""
    account = BillingAccountFactory()
    profiles = [BillingProfileFactory(account=account) for _ in range(3)]
    for profile in profiles:
        _buy(profile, "10")
    html = pdf_service.invoice_html

    def html_failing_for_one(invoice):
        if invoice.profile_id == profiles[0].pk:
            raise ValueError("a bug in this invoice's template")
        return html(invoice)

    monkeypatch.setattr(pdf_service, "invoice_html", html_failing_for_one)
    with pytest.raises(ValueError, match="template"):
        billing_tasks.generate_invoices_task([p.pk for p in profiles], DAY.isoformat())
    sent = Invoice.objects.filter(pdf__gt="", email_status=Invoice.EmailStatus.SENT)
    assert sorted(sent.values_list("profile_id", flat=True)) == [p.pk for p in profiles[1:]]
    assert len(mailoutbox) == 2 and Invoice.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("credit", [False, True])
def test_a_purchase_beside_a_batch_of_its_account_fails_neither_and_undoes_nothing(caplog, credit):
    """A purchase locks the account, then the profile it charges; the batch holds its profiles and, at its
    commit, checks that the account its invoices name exists. Found in the second review: that check waited
    for the purchase's lock of the account while the purchase waited for the batch's profile, a deadlock (and
    a profile whose credits pay part of its invoice locked the account outright)."""
    require_postgres()
    account = BillingAccountFactory()
    first, second = BillingProfileFactory(account=account), BillingProfileFactory(account=account)
    for profile in (first, second):
        _buy(profile, "10")
    if credit:
        credit_lot_add(actor=None, profile=first, source="promotional", amount="5", start_date=date(2026, 1, 1),
                       expiration_date=date(2027, 1, 1))
    errors = queued_behind(
        lambda: list(Charge.objects.select_for_update().filter(profile=first)),  # the batch waits, profiles held
        lambda: invoices_generate(profile_ids=[first.pk, second.pk], period_start=START, period_end=END,
                                  issue_date=DAY),
        lambda: purchase_record(actor=None, account=account, profile=second, items=[dict(
            product="X", description="x", quantity="1", unit_price="1",
            service_period_start=date(2026, 12, 1), service_period_end=date(2026, 12, 31))]))
    assert not errors and "one by one" not in caplog.text
    assert Invoice.objects.count() == 2 and Charge.objects.filter(profile=second, invoice__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_credit_grant_and_a_purchase_on_one_profile_while_its_account_is_held_fail_neither():
    """The services take the account before the profile (README, "Row locks"). Found in the second review's
    wake: a credit grant locked the profile, then its account, while a purchase holds the account and waits
    for the profile: a deadlock between the two, batches or not."""
    require_postgres()
    account = BillingAccountFactory()
    profile = BillingProfileFactory(account=account)
    errors = queued_behind(
        lambda: BillingAccount.objects.select_for_update(no_key=True).get(pk=account.pk),  # an account edit
        lambda: _buy(profile, "10"),
        lambda: credit_lot_add(actor=None, profile=profile, source="promotional", amount="5",
                               start_date=date(2026, 1, 1), expiration_date=date(2027, 1, 1)))
    assert not errors
    assert Charge.objects.filter(profile=profile).count() == 1 and profile.credit_lots.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["rename", "revoke an owner"])
def test_a_profile_change_waits_for_an_account_change_under_way(change):
    """Rules that span an account and its profiles (no two profiles of an account share a name; an account
    keeps an owner for every profile) are checked under the account's lock: a profile's change waits for an
    account's change under way, as it did before the profiles stopped locking their account with them."""
    require_postgres()
    account = BillingAccountFactory()
    profile = BillingProfileFactory(account=account)
    owners = [grant(UserFactory(), Role.OWNER, profile) for _ in range(2)]
    if change == "rename":
        def target():
            profile_update(actor=None, profile=profile, name="Finance")
    else:
        def target():
            role_revoke(actor=None, assignment=owners[0])
    errors = []
    with transaction.atomic():
        BillingAccount.objects.select_for_update(no_key=True).get(pk=account.pk)  # an account-level change
        thread = run_in_thread(target, errors)
        wait_for_lock_waits(1, unless_done=thread)
        waited = thread.is_alive()
    thread.join(timeout=60)
    assert waited and not errors
