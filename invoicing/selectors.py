"""Reads for the invoicing app."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import segno.helpers
import zxingcpp
from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncMonth
from django.utils.html import escape
from django.utils.translation import gettext

from billing_admin.core.dates import billing_today
from billing_admin.core.money import ZERO, round_money
from invoicing.models import (
    OPEN,
    OPEN_STATUSES,
    Charge,
    CreditLot,
    CreditTransaction,
    Invoice,
    Payment,
    expiring_within,
)
from profiles.models import BillingProfile
from profiles.selectors import profile_get

EXPIRING_SOON_DAYS = 30


# --- credits ---------------------------------------------------------------------------------
def profile_has_credits(profile) -> bool:
    """Whether the profile has ever had a credit lot (its credit tabs exist only then). Loaded with the
    profile on its pages (``has_credit_lots``, see ``profile_annotations``), else asked and cached."""
    if not hasattr(profile, "has_credit_lots"):
        profile.has_credit_lots = CreditLot.objects.filter(profile=profile).exists()
    return profile.has_credit_lots


def profile_annotations() -> dict:
    """What the profile pages need of invoicing, computed with the profile in one query."""
    past_due = (Invoice.objects.filter(profile=OuterRef("pk"), status=Invoice.Status.PAST_DUE)
                .order_by().values("profile").annotate(n=Count("pk")).values("n"))
    return {"has_credit_lots": Exists(CreditLot.objects.filter(profile=OuterRef("pk"))),
            "past_due_invoices": Coalesce(Subquery(past_due), 0)}


def credit_balance_summary(*, profile, today: date | None = None) -> dict:
    """Current balance, estimated balance after unbilled eligible charges, and credits expiring soon.

    Two queries whatever the number of lots, the next expiry included (sums in the database);
    ``expiring_lots`` is a queryset, read only by whoever lists them."""
    today = today or billing_today()
    lots = CreditLot.objects.filter(profile=profile)
    expiring = lots.expiring_within(EXPIRING_SOON_DAYS, today=today)
    active = Q(status=CreditLot.Status.ACTIVE)
    left = active & Q(remaining__gt=0, expiration_date__gte=today)
    next_date = lots.filter(left).order_by("expiration_date").values("expiration_date")[:1]
    sums = lots.aggregate(
        current=Sum("remaining"),
        usable=Sum("remaining", filter=active & Q(expiration_date__gte=today)),
        soon=Sum("remaining", filter=expiring_within(EXPIRING_SOON_DAYS, today=today)),
        next_date=Min("expiration_date", filter=left),
        next_amount=Sum("remaining", filter=left & Q(expiration_date=Subquery(next_date))),
    )
    current, usable = sums["current"] or ZERO, sums["usable"] or ZERO
    unbilled = Charge.objects.filter(profile=profile, invoice__isnull=True, credit_eligible=True).aggregate(
        s=Sum("amount"))["s"] or ZERO
    return {
        "currency": profile.currency,
        "current": current,
        "unbilled_eligible": unbilled,
        "estimated": current - min(unbilled, usable),
        "expiring_soon": sums["soon"] or ZERO,
        "expiring_lots": expiring.order_by("expiration_date", "start_date", "pk"),
        "next_expiry": {"expiration_date": sums["next_date"], "amount": sums["next_amount"]}
        if sums["next_date"] else None,
    }


def credit_lots_for(*, profile):
    """The profile's lots, earliest expiry first (the Azure credits tab shows them a page at a time)."""
    return CreditLot.objects.filter(profile=profile).order_by("expiration_date", "start_date", "pk")


def lot_expires_soon(lot, today: date | None = None) -> bool:
    return lot.expires_within(EXPIRING_SOON_DAYS, today=today)


# What the ledger shows of a transaction, its lot and its invoice (not the invoice's 40 columns).
LEDGER_FIELDS = ("created", "kind", "description", "amount", "balance_after", "lot", "lot__currency", "lot__reference",
                 "lot__source", "lot__expiration_date", "invoice", "invoice__number")


def credit_transactions_for(*, profile):
    qs = CreditTransaction.objects.filter(profile=profile).select_related("invoice", "lot").only(*LEDGER_FIELDS)
    return qs.order_by("-created", "-pk")


def usable_lots(profile_id: int, on_date: date):
    """Active lots usable on ``on_date``, in the order credits are consumed: earliest expiry first."""
    return usable_lots_of([profile_id], on_date)


def usable_lots_of(profile_ids: list[int], on_date: date):
    """``usable_lots`` of several profiles, by profile."""
    return CreditLot.objects.filter(profile_id__in=profile_ids).usable_on(on_date).order_by(
        "profile_id", "expiration_date", "start_date", "pk")


# --- invoices --------------------------------------------------------------------------------
def invoices_for(*, profile):
    return Invoice.objects.filter(profile=profile).order_by("-issue_date", "-pk")


def past_due_count(*, profile) -> int:
    if hasattr(profile, "past_due_invoices"):
        return profile.past_due_invoices
    return Invoice.objects.filter(profile=profile, status=Invoice.Status.PAST_DUE).count()


def with_latest_invoice_status(profiles: QuerySet) -> QuerySet:
    """Annotate ``latest_invoice_status``, the most urgent state of each profile's invoices (past due, then
    due, else the status of its latest non-void invoice), and ``outstanding_amount``, what its open invoices
    still ask."""
    invoices = Invoice.objects.filter(profile=OuterRef("pk")).exclude(status=Invoice.Status.VOID)
    urgency = Case(When(status=Invoice.Status.PAST_DUE, then=Value(0)), When(status=Invoice.Status.DUE, then=Value(1)),
                   default=Value(2))
    urgent = invoices.annotate(urgency=urgency).order_by("urgency", "-issue_date", "-pk")
    outstanding = (invoices.filter(status__in=OPEN_STATUSES).order_by().values("profile")
                   .annotate(s=Sum("amount_due")).values("s"))
    return profiles.annotate(latest_invoice_status=Subquery(urgent.values("status")[:1]),
                             outstanding_amount=Subquery(outstanding))


# --- what blocks a change of a profile -------------------------------------------------------
def has_open_invoices(profile_id: int) -> bool:
    return Invoice.objects.filter(profile_id=profile_id).open().exists()


def has_uninvoiced_charges(profile_id: int) -> bool:
    return Charge.objects.filter(profile_id=profile_id, invoice__isnull=True).exists()


def has_active_credits(profile_id: int) -> bool:
    return CreditLot.objects.filter(profile_id=profile_id, status=CreditLot.Status.ACTIVE, remaining__gt=0).exists()


# --- the invoice run ---------------------------------------------------------------------------
def profiles_due(day: date, profile_id: int | None = None) -> QuerySet[BillingProfile]:
    """Active profiles billed on ``day`` (their invoice day), or the one active profile asked for."""
    qs = BillingProfile.objects.filter(status=BillingProfile.Status.ACTIVE)
    if profile_id is not None:
        return qs.filter(pk=profile_id)
    return qs.filter(invoice_day=day.day).order_by("pk")


def autocharge_attempts(*, invoice_id: int) -> QuerySet[Payment]:
    """The attempts of the invoice's automatic charge (``invoice_autocharge``: key ``autocharge-<n>``)."""
    return Payment.objects.filter(invoice_id=invoice_id, idempotency_key__startswith="autocharge-")


def has_charges_to_invoice(profile_id: int, period_end: date) -> bool:
    return Charge.objects.filter(profile_id=profile_id, invoice__isnull=True,
                                 service_period_end__lte=period_end).exists()


def invoice_loader(kwargs: dict) -> Invoice | None:
    """Loader for ``object_action_required``: the invoice, only through its own profile's URL (another
    profile's invoice is None: 404)."""
    try:
        return Invoice.objects.select_related("profile", "profile__account").get(
            pk=int(kwargs.pop("invoice_id")), profile_id=int(kwargs.pop("profile_id")))
    except (Invoice.DoesNotExist, ValueError, TypeError):
        return None


def profile_with_credits_loader(kwargs: dict):
    """A profile that has never had credits has no credit tabs: 404, like a missing page."""
    profile = profile_get(profile_id=kwargs.pop("profile_id"))
    if profile is None or not profile_has_credits(profile):
        return None
    return profile


def invoice_credits_by_lot(*, invoice) -> list[dict]:
    """What each credit lot gave to the invoice (net of what a void returned), in the order applied."""
    rows: dict[int, dict] = {}
    for entry in CreditTransaction.objects.filter(
            invoice=invoice, kind__in=[CreditTransaction.Kind.APPLIED_TO_INVOICE, CreditTransaction.Kind.RETURNED]
    ).select_related("lot").order_by("pk"):
        row = rows.setdefault(entry.lot_id, {"lot": entry.lot, "applied": ZERO, "returned": ZERO})
        if entry.kind == CreditTransaction.Kind.APPLIED_TO_INVOICE:
            row["applied"] -= entry.amount
        else:
            row["returned"] += entry.amount
    return list(rows.values())


def invoice_detail(*, invoice) -> dict:
    """Everything the invoice page shows, in a fixed number of queries."""
    payments = list(invoice.payments.select_related("recorded_by").order_by("created", "pk"))
    succeeded = [p for p in payments if p.status == Payment.Status.SUCCEEDED]
    return {
        "lines": list(invoice.lines.all()),
        "credits": invoice_credits_by_lot(invoice=invoice),
        "payments": payments,
        "receipt_ids": {p.pk for p in succeeded},
    }


def month_starts(today: date, months: int = 12) -> list[date]:
    """The first days of the ``months`` months up to ``today``'s, oldest first."""
    first = today.replace(day=1)
    starts = []
    for _ in range(months):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return starts[::-1]


def spend_by_month_per_profile(*, profiles, today: date, months: int = 12) -> tuple[list[date], dict[int, list]]:
    """The first days of the ``months`` months up to ``today``'s (oldest first), and for each of ``profiles``
    (profiles or ids) its invoiced total of each of those months, in its own currency; void invoices do not
    count. One query, whatever the number of profiles."""
    starts = month_starts(today, months)
    ids = [getattr(p, "pk", p) for p in profiles]
    totals: dict[tuple[int, date], Decimal] = {}
    if ids:
        rows = (Invoice.objects.filter(profile_id__in=ids, issue_date__gte=starts[0], issue_date__lte=today)
                .exclude(status=Invoice.Status.VOID).annotate(month=TruncMonth("issue_date"))
                .values_list("profile_id", "month").annotate(s=Sum("total")).order_by())
        totals = {(profile_id, month): total for profile_id, month, total in rows}
    return starts, {pk: [totals.get((pk, start)) or ZERO for start in starts] for pk in ids}


NOT_VOID = [status for status in Invoice.Status.values if status != Invoice.Status.VOID]


def spend_by_month_top_profiles(*, profiles: QuerySet, today: date, months: int = 12,
                                series: int = 8) -> tuple[list[date], list[dict]]:
    """The spend of many profiles as at most ``series`` series per currency, in two queries whatever the
    number of profiles: the first days of the ``months`` months up to ``today``'s (oldest first), and for
    each currency of ``profiles`` (a queryset; in currency order) ``{"currency", "profiles", "others"}``.

    ``profiles`` lists ``{"pk", "name", "values"}`` (the invoiced total of each month; void invoices do not
    count). With at most ``series`` profiles in the currency, they are all there in name order and
    ``others`` is None; with more, the ``series - 1`` that spent most over the months are (most first, ties
    in name order) and ``others`` is ``{"count", "values"}``: how many the rest are and their monthly sum.
    Amounts of two currencies are never added up."""
    starts = month_starts(today, months)
    # The invoices of the months in the join's condition: older ones are never read.
    in_chart = FilteredRelation("invoices", condition=Q(
        invoices__issue_date__gte=starts[0], invoices__issue_date__lte=today, invoices__status__in=NOT_VOID))
    ranked = (profiles.order_by().annotate(in_chart=in_chart).values("pk", "name", "currency")
              .annotate(spend=Coalesce(Sum("in_chart__total"), ZERO))
              .annotate(rank=Window(RowNumber(), partition_by=F("currency"),
                                    order_by=[F("spend").desc(), F("name").asc(), F("pk").asc()]),
                        in_currency=Window(Count("pk"), partition_by=F("currency")))
              .filter(rank__lte=series))
    currencies: dict[str, dict] = {}
    for row in ranked:
        chart = currencies.setdefault(row["currency"], {"currency": row["currency"], "profiles": [],
                                                        "others": None})
        if row["in_currency"] <= series:
            chart["profiles"].append(row)
        elif row["rank"] < series:
            chart["profiles"].append(row)
            chart["others"] = {"count": row["in_currency"] - (series - 1), "values": [ZERO] * len(starts)}
    shown = [row["pk"] for chart in currencies.values() for row in chart["profiles"]]
    totals: dict[tuple[str, int | None, date], Decimal] = {}
    if currencies:
        # An invoice's currency is its profile's (which never changes once a profile has an invoice).
        rows = (Invoice.objects.filter(profile_id__in=profiles.order_by().values("pk"), issue_date__gte=starts[0],
                                       issue_date__lte=today, status__in=NOT_VOID)
                .annotate(month=TruncMonth("issue_date"),
                          series=Case(When(profile_id__in=shown, then=F("profile_id")), default=None))
                .values_list("currency", "series", "month").annotate(s=Sum("total")).order_by())
        totals = {(currency, series_pk, month): total for currency, series_pk, month, total in rows}
    charts = []
    for currency in sorted(currencies):
        chart = currencies[currency]
        if chart["others"] is None:
            chart["profiles"].sort(key=lambda row: (row["name"], row["pk"]))
        else:
            chart["others"]["values"] = [totals.get((currency, None, start)) or ZERO for start in starts]
        chart["profiles"] = [{"pk": row["pk"], "name": row["name"],
                              "values": [totals.get((currency, row["pk"], start)) or ZERO for start in starts]}
                             for row in chart["profiles"]]
        charts.append(chart)
    return starts, charts


def spend_by_month(*, profile, today: date, months: int = 12) -> list[tuple[date, Decimal]]:
    """(first day of the month, invoiced total) for the ``months`` months up to ``today``'s, oldest
    first; void invoices do not count. One query."""
    starts, per_profile = spend_by_month_per_profile(profiles=[profile], today=today, months=months)
    return list(zip(starts, per_profile[profile.pk], strict=True))


def invoices_issued_in(*, profiles, month: date):
    """The invoices of ``profiles`` (profiles or their ids) issued in the month of ``month`` (void ones too:
    their PDF says VOID), oldest first."""
    return Invoice.objects.filter(profile__in=profiles, issue_date__year=month.year, issue_date__month=month.month
                                  ).order_by("issue_date", "number", "pk")


OPEN_INVOICES_SHOWN = 10
# What the account page shows of an invoice (not its 40 columns of snapshot, PDF and e-mail state).
ACCOUNT_PAGE_INVOICE_FIELDS = ("profile_id", "number", "status", "currency", "due_date", "amount_due")


def account_invoice_summary(account, visible: QuerySet | None, page: list) -> dict:
    """For the billing account page, in four queries whatever the number of profiles: each profile of ``page``'s
    latest (non-void) invoice and amount due; and over all ``visible`` profiles (a queryset; None: every profile
    of the account), computed by the database: the total and past-due sums and the number of unpaid invoices
    (per currency: an account's profiles share its currency, but the sums never mix two), the
    ``OPEN_INVOICES_SHOWN`` unpaid invoices due first, and the month of the latest invoice. The sums and the
    list read the account's unpaid invoices from the index ``invoice_open_by_account`` alone."""
    ids = [p.pk for p in page]
    latest_by_profile: dict[int, Invoice] = {}
    if ids:
        # One pass over the page's non-void invoices: each profile's newest, with the sum of its unpaid ones.
        by_profile = {"partition_by": F("profile_id")}
        wanted = Invoice.objects.filter(profile_id__in=ids).exclude(status=Invoice.Status.VOID).only(
            *ACCOUNT_PAGE_INVOICE_FIELDS).annotate(
            newest=Window(RowNumber(), order_by=[F("issue_date").desc(), F("pk").desc()], **by_profile),
            profile_due=Coalesce(Window(Sum("amount_due", filter=OPEN), **by_profile), ZERO),
        ).filter(newest=1)
        latest_by_profile = {inv.profile_id: inv for inv in wanted}
    # Every open invoice is a non-void one: a profile without a latest invoice has nothing due.
    per_profile = {p.pk: {"latest": latest_by_profile.get(p.pk),
                          "due": latest_by_profile[p.pk].profile_due if p.pk in latest_by_profile else ZERO,
                          "currency": p.currency} for p in page}
    of_account = Invoice.objects.filter(account=account)
    if visible is not None:
        of_account = of_account.filter(profile_id__in=visible.order_by().values("pk"))
    open_invoices = of_account.open()
    sums = list(open_invoices.order_by().values("currency")
                .annotate(due=Sum("amount_due"),
                          past_due=Coalesce(Sum("amount_due", filter=Q(status=Invoice.Status.PAST_DUE)), ZERO),
                          count=Count("*"))  # not the primary key: it is not in the index
                .order_by("currency"))
    totals = [{"currency": row["currency"], "due": row["due"], "past_due": row["past_due"]} for row in sums]
    open_count = sum(row["count"] for row in sums)
    first_due = list(open_invoices.select_related("profile").only(*ACCOUNT_PAGE_INVOICE_FIELDS, "profile__name")
                     .order_by("due_date", "number")[:OPEN_INVOICES_SHOWN])
    # Newest first along the index ``invoice_newest_first``: it stops at the first invoice of a visible profile.
    latest_issue = (of_account.filter(status__in=NOT_VOID)
                    .order_by("-issue_date", "-pk").values_list("issue_date", flat=True).first())
    return {
        "per_profile": per_profile,
        "latest_month": latest_issue.strftime("%Y-%m") if latest_issue else "",
        "open_invoices": first_due,
        "open_count": open_count,
        "more_open": open_count - len(first_due),
        "totals": totals or [{"currency": account.currency, "due": ZERO, "past_due": ZERO}],
    }


# --- paying by bank transfer -------------------------------------------------------------------
def bank_transfer_details(*, invoice, amount: Decimal | None = None) -> dict:
    """What a customer needs to pay the invoice by bank transfer: the seller's IBAN and BIC, the amount
    outstanding and the reference to quote (the invoice number). For EUR invoices, the EPC QR code
    ("GiroCode", SEPA credit transfer) that banking apps scan, as inline SVG (no style attributes: the
    CSP forbids inline style), and its payload. ``amount``: what to ask (the PDF asks the amount due)."""
    seller = settings.SELLER
    amount = round_money(invoice.outstanding if amount is None else amount, invoice.currency)
    details = {"name": seller["name"], "iban": seller["iban"], "bic": seller["bic"], "amount": amount,
               "currency": invoice.currency, "reference": invoice.number, "epc_payload": "", "epc_svg": ""}
    if invoice.currency == "EUR" and Decimal("0.01") <= amount <= Decimal("999999999.99"):
        args = {"name": seller["name"][:70], "iban": seller["iban"], "amount": amount, "text": invoice.number,
                "bic": seller["bic"] or None}
        data = epc_data(**args)
        details["epc_payload"] = epc_text(data)
        title = gettext("EPC QR code for invoice %(number)s") % {"number": invoice.number}
        details["epc_svg"] = epc_qr_svg(data, title=title)
    return details


# Every one of the 8 mask patterns a QR code may use reads the same; segno and zxing-cpp try all 8 and keep
# the one with the lowest penalty score, which cost ~5 ms of segno's ~7 ms, and 0.27 of zxing-cpp's 0.31 ms,
# for every invoice PDF. We use one.
EPC_QR_MASK = 0
# The EPC payload's character sets, by the number its third line gives (EPC069-12).
EPC_CHARSETS = ("utf-8", "iso-8859-1", "iso-8859-2", "iso-8859-4", "iso-8859-5", "iso-8859-7", "iso-8859-10",
                "iso-8859-15")


def epc_data(*, name: str, iban: str, amount: Decimal, text: str, bic: str | None) -> bytes:
    """The bytes an EPC QR code of these values carries (BCD, version 002, its character set, SCT, ...): segno's
    EPC helper, which picks the first character set that can write them."""
    return segno.helpers._make_epc_qr_data(name, iban, amount, text=text, bic=bic)


def epc_text(data: bytes) -> str:
    """The EPC payload ``data`` as text, read in the character set it declares (a seller named "Müller" is
    written in ISO 8859-1, not UTF-8)."""
    return data.decode(EPC_CHARSETS[int(data.split(b"\n", 3)[2]) - 1])


def epc_qr_svg(data: bytes, *, title: str, scale: int = 4, border: int = 4) -> str:
    """The EPC QR code of ``data`` (error correction level M, no ECI: the EPC guidelines' code) as inline SVG,
    ``scale`` pixels per module, a light border of ``border`` modules, ``title`` for screen readers, no style
    attribute (the CSP forbids inline style): each row's runs of dark modules are one stroked line.

    An ASCII payload (every one, unless the seller's name is not ASCII) is encoded by zxing-cpp (its writer is
    libzint) in ~0.25 ms, given as text: given bytes, it marks them binary with ECI 899, which scanners built on
    ZXing refuse. Any other payload by segno, in byte mode with our one mask pattern (~3 ms)."""
    if data.isascii():
        code = zxingcpp.create_barcode(data.decode("ascii"), zxingcpp.BarcodeFormat.QRCode, ec_level="M",
                                       data_mask=EPC_QR_MASK)
        rows = [[pixel == 0 for pixel in row]  # 0: a dark module
                for row in memoryview(code.to_image(scale=1, add_quiet_zones=False)).tolist()]
    else:
        rows = segno.make_qr(data, error="m", boost_error=False, mask=EPC_QR_MASK).matrix  # 1: a dark module
    side = len(rows) + 2 * border
    lines = []
    for y, row in enumerate(rows, start=border):
        x, end = 0, len(row)
        while x < end:
            if not row[x]:
                x += 1
                continue
            run = x
            while run < end and row[run]:
                run += 1
            lines.append(f"M{x + border} {y}.5h{run - x}")
            x = run
    return (f'<svg width="{side * scale}" height="{side * scale}" class="epc-qr"><title>{escape(title)}</title>'
            f'<g transform="scale({scale})"><path fill="#fff" d="M0 0h{side}v{side}h-{side}z"/>'
            f'<path class="qrline" stroke="#000" d="{"".join(lines)}"/></g></svg>')
