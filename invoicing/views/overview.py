"""What invoicing adds to the profile and account pages: the next-invoice preview and the spend charts."""

from __future__ import annotations

import functools
from datetime import date

from babel.dates import format_date
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext

from billing_admin.core.dates import billing_today
from billing_admin.core.money import ZERO, format_money, round_money
from invoicing.selectors import spend_by_month, spend_by_month_top_profiles
from invoicing.services.drafts import next_invoice_preview
from profiles.models import BillingProfile


def next_invoice_card(profile) -> dict | None:
    if profile.status != profile.Status.ACTIVE:
        return None
    day, draft = next_invoice_preview(profile=profile)
    return {"day": day, "draft": draft, "currency": profile.currency,
            "credits": draft.credits_by_lot if draft else [], "zero": ZERO}



CHART = {"width": 640, "height": 220, "top": 16, "bottom": 36, "left": 8, "right": 8}
SERIES_COLOURS = 8  # CSS classes s0 … s7 (static/css/app.css), repeated for more series


def bar_chart(*, months: list[tuple[date, bool]], series: list[tuple[str, list]], currency: str) -> dict:
    """Geometry of a bar chart of amounts in one currency: for each month (``(first day, is an estimate)``) a
    group of bars, one per series (``(name, values per month)``) side by side, on one scale. The SVG is drawn
    by ``invoicing/_spend_chart.html`` (no inline style: CSP), which also writes the numbers as a table.

    What the template would otherwise assemble per bar from conditions (its class, its tooltip, a month's row
    heading) is put together here once: the account chart has 96 bars. (``format_money`` remembers each amount's
    text, so the chart's many equal amounts are formatted once.)"""
    lang = (translation.get_language() or "en").replace("-", "_")
    c = CHART
    plot_h = c["height"] - c["top"] - c["bottom"]
    slot = (c["width"] - c["left"] - c["right"]) / max(len(months), 1)
    bar_w = slot * 0.7 / max(len(series), 1)
    width = f"{bar_w:.1f}"
    several = len(series) > 1
    values = [[round_money(v, currency) for v in vals] for _name, vals in series]
    top = max((v for vals in values for v in vals), default=ZERO)
    estimated = gettext("estimate")
    classes = [f"bar s{j % SERIES_COLOURS}" if several else "bar" for j in range(len(series))]
    prefixes = [f"{name}, " if several and name else "" for name, _vals in series]
    groups = []
    for i, (start, estimate) in enumerate(months):
        long_label = _month_label(start, "MMMM y", lang)
        suffix = f" ({estimated})" if estimate else ""
        bars = []
        for j, (name, _vals) in enumerate(series):
            value = values[j][i]
            h = float(value / top) * plot_h if top > 0 else 0
            text = format_money(value, currency)
            # SVG lengths as plain strings: a template would localise a float ("15,2" in Dutch), which is no length.
            bars.append({"x": f"{c['left'] + i * slot + slot * 0.15 + j * bar_w:.1f}", "w": width,
                         "h": f"{h:.1f}", "y": f"{c['top'] + plot_h - h:.1f}", "value": value, "text": text,
                         "name": name if several else "", "cls": classes[j],
                         "title": f"{prefixes[j]}{long_label}: {text}{suffix}"})
        groups.append({"label": _month_label(start, "MMM yy", lang) + ("*" if estimate else ""),
                       "long_label": long_label, "row_label": long_label + suffix, "estimate": estimate,
                       "cls": "month estimate" if estimate else "month",
                       "cx": f"{c['left'] + i * slot + slot / 2:.1f}", "ty": str(c["height"] - c["bottom"] + 16),
                       "bars": bars})
    return {"groups": groups, "width": c["width"], "height": c["height"], "baseline": c["top"] + plot_h,
            "series": [{"name": name, "css": f"s{j % SERIES_COLOURS}"} for j, (name, _v) in enumerate(series)],
            "several": several, "max_text": format_money(top, currency), "currency": currency, "has_data": top > 0}


@functools.lru_cache(maxsize=1024)
def _month_label(start: date, pattern: str, lang: str) -> str:
    """A month as the chart names it ("Nov 26", "November 2026"), remembered per process: every chart of every
    request names the same twelve months."""
    return format_date(start, pattern, locale=lang)


def spend_chart(*, months: list, estimate, currency: str) -> dict:
    """The Overview's chart: the profile's invoiced months and, marked, the next invoice's estimate."""
    rows = [(start, False) for start, _value in months]
    values = [value for _start, value in months]
    if estimate is not None:
        rows.append((estimate[0], True))
        values.append(estimate[1])
    return bar_chart(months=rows, series=[(gettext("Invoiced"), values)], currency=currency)


def spend_card(profile) -> dict | None:
    today = billing_today()
    months = spend_by_month(profile=profile, today=today)
    day, draft = next_invoice_preview(profile=profile, today=today)
    estimate = (day, draft.total) if draft is not None else None
    return spend_chart(months=months, estimate=estimate, currency=profile.currency)


ACCOUNT_CHART_SERIES = 8  # one colour each (SERIES_COLOURS): the 7 profiles that spent most and the others


def account_spend_card(account, page) -> dict | None:
    """The billing account page's chart over the last 12 invoiced months, one chart per currency (amounts of
    two currencies are never added up or put on one scale). It shows the profiles of the table's ``page``
    (all the viewer may see while they fit on one page): the month sums of a large account's thousands of
    profiles would be read again on every view, so the chart follows the table's pages instead and says so.
    Up to 8 profiles of a currency are side by side; of more, the 7 that spent most and one series of the
    others' sum. Two queries, whatever the number of profiles."""
    on_page = [profile.pk for profile in page.object_list]
    if not on_page:
        return None
    visible = BillingProfile.objects.filter(pk__in=on_page)
    starts, currencies = spend_by_month_top_profiles(profiles=visible, today=billing_today(),
                                                     series=ACCOUNT_CHART_SERIES)
    if not currencies:
        return None
    months = [(start, False) for start in starts]
    charts = []
    for chart in currencies:
        series = [(p["name"], p["values"]) for p in chart["profiles"]]
        if chart["others"] is not None:
            count = number_format(chart["others"]["count"], force_grouping=True)
            series.append((gettext("Other profiles (%(count)s)") % {"count": count},
                           chart["others"]["values"]))
        charts.append(bar_chart(months=months, series=series, currency=chart["currency"]))
    paged = page.paginator.num_pages > 1
    return {"charts": charts, "paged": paged, "first": page.start_index(), "last": page.end_index(),
            "count": page.paginator.count}
