"""What invoicing adds to the profile pages: the next-invoice preview and the spend chart cards."""

from __future__ import annotations

from billing_admin.core.dates import billing_today
from billing_admin.core.money import ZERO, format_money, round_money
from invoicing.selectors import spend_by_month
from invoicing.services.drafts import next_invoice_preview


def next_invoice_card(profile) -> dict | None:
    if profile.status != profile.Status.ACTIVE:
        return None
    day, draft = next_invoice_preview(profile=profile)
    return {"day": day, "draft": draft, "currency": profile.currency,
            "credits": draft.credits_by_lot if draft else [], "zero": ZERO}



CHART = {"width": 640, "height": 220, "top": 16, "bottom": 36, "left": 8, "right": 8}


def spend_chart(*, months: list, estimate, currency: str) -> dict:
    """Geometry of the spend chart (SVG drawn by the template, no inline style: CSP), and its rows."""
    from babel.dates import format_date
    from django.utils import translation
    lang = translation.get_language() or "en"
    rows = [{"label": format_date(start, "MMM yy", locale=lang.replace("-", "_")),
             "long_label": format_date(start, "MMMM y", locale=lang.replace("-", "_")),
             "value": round_money(value, currency), "estimate": False} for start, value in months]
    if estimate is not None:
        day, value = estimate
        rows.append({"label": format_date(day, "MMM yy", locale=lang.replace("-", "_")) + "*",
                     "long_label": format_date(day, "MMMM y", locale=lang.replace("-", "_")),
                     "value": round_money(value, currency), "estimate": True})
    top = max((r["value"] for r in rows), default=ZERO)
    c = CHART
    plot_h = c["height"] - c["top"] - c["bottom"]
    slot = (c["width"] - c["left"] - c["right"]) / max(len(rows), 1)
    for i, row in enumerate(rows):
        h = float(row["value"] / top) * plot_h if top > 0 else 0
        # SVG lengths as plain strings: a template would localise a float ("15,2" in Dutch), which is no length.
        row.update({"x": f"{c['left'] + i * slot + slot * 0.15:.1f}", "w": f"{slot * 0.7:.1f}",
                    "h": f"{h:.1f}", "y": f"{c['top'] + plot_h - h:.1f}",
                    "cx": f"{c['left'] + i * slot + slot / 2:.1f}", "ty": str(c["height"] - c["bottom"] + 16),
                    "text": format_money(row["value"], currency)})
    return {"rows": rows, "width": c["width"], "height": c["height"], "baseline": c["top"] + plot_h,
            "max_text": format_money(top, currency), "currency": currency, "has_data": top > 0}


def spend_card(profile) -> dict | None:
    today = billing_today()
    months = spend_by_month(profile=profile, today=today)
    day, draft = next_invoice_preview(profile=profile, today=today)
    estimate = (day, draft.total) if draft is not None else None
    return spend_chart(months=months, estimate=estimate, currency=profile.currency)
