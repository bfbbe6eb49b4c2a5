"""What the browser tests measure in a page: sideways spill on a phone, stacked-table labels, axe-core."""

from __future__ import annotations

from invoicing.models import Invoice

# Everything that would make a person scroll or pan sideways: the page itself wider than the window,
# any box that scrolls sideways inside it, and any control cut off at the right edge.
SIDEWAYS_JS = """() => {
  const width = window.innerWidth, problems = [];
  const page = document.scrollingElement.scrollWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if ((style.overflowX === 'auto' || style.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1)
      problems.push(`${name(el)} scrolls sideways (${el.scrollWidth}px in ${el.clientWidth}px)`);
    if (el.matches('a[href], button, input:not([type=hidden]), select, textarea, svg')) {
      const box = el.getBoundingClientRect();
      if (box.width > 1 && box.height > 1 && box.right > 0 && box.right > width + 1)
        problems.push(`${name(el)} "${(el.innerText || el.value || '').trim().slice(0, 40)}" ends at ` +
                      `${Math.round(box.right)}px`);
    }
  }
  if (page > width) {  // say which elements stick out: the innermost ones, where the fix belongs
    const out = Array.from(document.querySelectorAll('body *')).filter(el => {
      const box = el.getBoundingClientRect();
      return box.width > 1 && box.right > width + 1 && !Array.from(el.children).some(
        child => child.getBoundingClientRect().right > width + 1);
    });
    problems.unshift(`the page is ${page}px wide: ` + out.slice(0, 3).map(name).join(', '));
  }
  return problems;
}"""

# In a data table (one with a header row) every value cell carries its column's words as data-label,
# which the phone layout shows beside the value; the row's title cell and its actions need none.
UNLABELLED_JS = """() => {
  const problems = [];
  for (const table of document.querySelectorAll('table.table:not(.totals):not(.compact)')) {
    const heads = Array.from(table.querySelectorAll(':scope > thead > tr > th')).map(th => th.textContent.trim());
    if (!heads.length) continue;
    for (const row of table.querySelectorAll(':scope > tbody > tr')) {
      Array.from(row.children).forEach((cell, i) => {
        if (cell.colSpan > 1 || cell.matches('.card-title, .row-actions')) return;
        const label = cell.getAttribute('data-label');
        if (label !== heads[i])
          problems.push(`"${cell.textContent.trim().slice(0, 30)}" under "${heads[i]}": ${JSON.stringify(label)}`);
      });
    }
  }
  return problems;
}"""


def sideways_problems(page) -> list[str]:
    return page.evaluate(SIDEWAYS_JS)


def unlabelled_cells(page) -> list[str]:
    return page.evaluate(UNLABELLED_JS)


def portal_pages(profile) -> list[tuple[str, str]]:
    """Every page a procurement user reaches, as (name, path): the account owner may open them all."""
    paid = Invoice.objects.filter(profile=profile, status="paid").order_by("-issue_date").first()
    due = Invoice.objects.filter(profile=profile, status="due").get()
    base = f"/billing/profiles/{profile.pk}/"
    account = f"/billing/accounts/{profile.account_id}/"
    return [
        ("profile-list", "/billing/profiles/"), ("create-profile", "/billing/profiles/new/"),
        ("overview", base), ("edit-details", f"{base}edit/details/"), ("permissions", f"{base}permissions/"),
        ("credit-balance", f"{base}credit-balance/"), ("credits", f"{base}credits/"), ("invoices", f"{base}invoices/"),
        ("invoice-page", f"{base}invoices/{paid.pk}/"), ("pay-page", f"{base}invoices/{due.pk}/pay/"),
        ("subscriptions", f"{base}subscriptions/"), ("payment-methods", f"{base}payment-methods/"),
        ("add-card", f"{base}payment-methods/add/card/"), ("profile-activity", f"{base}activity/"),
        ("account-page", account), ("account-activity", f"{account}activity/"), ("purchase", "/billing/purchase/"),
        ("help", "/help/"),
    ]
