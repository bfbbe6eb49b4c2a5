"""The purchase page and the profile's Subscriptions tab.

The page (GET) picks product, quantity and billing profile and shows the quote (price, tax,
currency, when it is invoiced); confirming POSTs to the chosen profile's (or account's) purchase
URL, which checks the purchase action on that object: 404 for who may not see it, 403 for who
may only look. The target sent (``profile-<id>`` / ``account-<id>``) is one permission-checked
lookup and then shown as fixed text; without one the page offers a select of at most
``TARGET_SELECT_MAX`` targets or a search listing at most ``TARGET_SEARCH_LIMIT``, never all of them.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from billing_admin.core.dates import billing_today
from billing_admin.core.htmx import add_errors, after_success, render_page_or_partial
from billing_admin.core.money import format_money, format_quantity
from billing_admin.core.permissions import Action
from billing_admin.core.views import checks_permissions_itself, object_action_required
from profiles.models import BillingAccount, BillingProfile
from profiles.selectors import profile_loader
from profiles.tabs import profile_tab_context
from purchases.forms import PurchaseForm, PurchaseTargetForm
from purchases.models import Purchase, Subscription
from purchases.selectors import (
    TARGET_SEARCH_LIMIT,
    TARGET_SELECT_MAX,
    account_loader,
    products_on_sale,
    purchase_target_get,
    purchase_targets,
    purchase_targets_search,
    recent_purchases_for_profile,
    subscriptions_for_profile,
)
from purchases.services.purchases import clean_quantity, purchase_key_issue, purchase_make, purchase_quote
from purchases.services.subscriptions import subscription_cancel, subscription_change_quantity

PAGE = "purchases/purchase.html"
TAB = "purchases/profile_subscriptions.html"


def _target_value(target) -> str:
    return f"profile-{target.pk}" if isinstance(target, BillingProfile) else f"account-{target.pk}"


def _carried(params) -> dict[str, str]:
    """The product and quantity already chosen, carried through choosing or changing the target."""
    return {name: str(params.get(name) or "")[:40] for name in ("product", "quantity") if params.get(name)}


def _result(target, carried: dict[str, str]) -> dict:
    url = f"{reverse('purchases:purchase')}?{urlencode({'target': _target_value(target), **carried})}"
    if isinstance(target, BillingProfile):
        return {"name": target.name, "detail": f"{target.account.name} · {target.currency}", "url": url}
    return {"name": _("%(account)s · new default billing profile") % {"account": target.name},
            "detail": target.currency, "url": url}


def _chooser(user, *, query: str, carried: dict[str, str]) -> dict:
    """How the page offers the target when none is chosen: a select of them all while there are at most
    TARGET_SELECT_MAX, else a search by name listing at most TARGET_SEARCH_LIMIT. Two to four queries,
    each reading a bounded number of rows."""
    profiles, accounts = purchase_targets(user, limit=TARGET_SELECT_MAX + 1)
    if not profiles and not accounts:
        raise PermissionDenied(_("You may not buy on any billing profile."))
    if len(profiles) + len(accounts) <= TARGET_SELECT_MAX:
        return {"mode": "select", "profiles": profiles, "accounts": accounts}
    if query:
        found, more = purchase_targets_search(user, query=query, limit=TARGET_SEARCH_LIMIT)
    else:
        found, more = [*profiles, *accounts][:TARGET_SEARCH_LIMIT], True
    return {"mode": "search", "query": query, "more": more, "limit": TARGET_SEARCH_LIMIT,
            "results": [_result(target, carried) for target in found]}


def _quote_for(form, target):
    """The quote for a valid form, or None with the reasons added to the form."""
    if target is None or not form.is_valid():
        return None
    product = form.cleaned_data["product"]
    if isinstance(target, BillingProfile):
        currency, tax_rate, invoice_day = target.currency, target.account.tax_rate, target.invoice_day
    else:
        currency, tax_rate, invoice_day = target.currency, target.tax_rate, 1  # the new profile's invoice day
    try:
        quantity = clean_quantity(product, form.cleaned_data["quantity"])
        return purchase_quote(product=product, quantity=quantity, currency=currency, tax_rate=tax_rate,
                              invoice_day=invoice_day, today=billing_today())
    except ValidationError as exc:
        add_errors(form, exc)
        return None


def _page(request, form, *, value: str, target, target_sent: bool, query: str = "", status=200):
    """The page. ``value``: the target as sent; ``target``: that value resolved by the one permission-checked
    lookup (None: none sent, or not one the user may buy on). A resolved target is shown as fixed text
    with a button to change it (a submit of the same form, so the product and quantity as typed go along);
    otherwise the page offers a bounded choice (``_chooser``)."""
    carried = _carried(form.data if form.is_bound else request.GET)
    chooser = {} if target is not None else _chooser(request.user, query=query, carried=carried)
    select = chooser.get("mode") == "select"
    initial = {}
    if select and not target_sent and len(chooser["profiles"]) + len(chooser["accounts"]) == 1:
        only = [*chooser["profiles"], *chooser["accounts"]][0]
        initial["target"] = _target_value(only)
    target_form = PurchaseTargetForm({"target": value} if target_sent else None, initial=initial, target=target,
                                     profiles=chooser.get("profiles"), accounts=chooser.get("accounts"))
    if target_sent:
        target_form.is_valid()
    quote = _quote_for(form, target) if form.is_bound else None
    confirm_url = default_method = None
    if quote is not None and isinstance(target, BillingProfile):
        confirm_url = reverse("purchases:profile-purchase", args=[target.pk])
        default_method = target.payment_methods.filter(is_default=True).first()
    elif quote is not None:
        confirm_url = reverse("purchases:account-purchase", args=[target.pk])
    context = {
        "form": form, "target_form": target_form, "chooser": chooser, "quote": quote, "target": target,
        "target_value": _target_value(target) if target is not None else "",
        "carried": carried, "confirm_url": confirm_url,
        "creates_profile": isinstance(target, BillingAccount), "default_method": default_method,
        "purchase_key": purchase_key_issue(user=request.user) if quote else "",
    }
    partial = "target_results" if chooser.get("mode") == "search" and getattr(request, "htmx", None) \
        and "q" in request.GET else "purchase"
    return render_page_or_partial(request, PAGE, context, partial=partial, status=status)


@checks_permissions_itself("looks up the one target it is asked for, with the purchase permission; lists a "
                           "bounded number of the targets on which the user may buy")
def purchase(request):
    if request.method == "POST":
        return _purchase_posted(request)
    params = request.GET
    choosing = "q" in params or "change" in params  # searching for the target, or about to change it
    value = "" if choosing else str(params.get("target") or "")[:40]
    target = purchase_target_get(request.user, value) if value else None
    bound = "product" in params and not choosing
    form = PurchaseForm(params if bound else None, initial={"quantity": 1, **_carried(params)},
                        products=products_on_sale())
    return _page(request, form, value=value, target=target, target_sent=bound or ("target" in params and not choosing),
                 query=str(params.get("q") or "").strip()[:100])


def _purchase_posted(request):
    """A purchase posted with its target: bought if the user may buy on that one target, else the page with
    the reason next to the target and nothing bought."""
    value = str(request.POST.get("target") or "")[:40]
    target = purchase_target_get(request.user, value)
    if isinstance(target, BillingProfile):
        return _confirm(request, profile=target)
    if isinstance(target, BillingAccount):
        return _confirm(request, account=target)
    form = PurchaseForm(request.POST, products=products_on_sale())
    return _page(request, form, value=value, target=None, target_sent=True)


def _confirm(request, *, profile=None, account=None):
    """POST: buy on the target the URL (or the posted form) named and the caller checked. Errors re-render
    the page with the form as sent; nothing is written."""
    target = profile if profile is not None else account
    form = PurchaseForm(request.POST, products=products_on_sale())
    if form.is_valid():
        try:
            bought = purchase_make(actor=request.user, product=form.cleaned_data["product"],
                                   quantity=form.cleaned_data["quantity"],
                                   purchase_key=form.cleaned_data["purchase_key"], profile=profile, account=account)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return _after_purchase(request, bought)
    return _page(request, form, value=_target_value(target), target=target, target_sent=True)


def _after_purchase(request, bought: Purchase):
    values = {"quantity": format_quantity(bought.quantity), "product": bought.product.name,
              "profile": bought.profile.name, "amount": format_money(bought.amount, bought.currency)}
    messages.success(request, _("You bought %(quantity)s × %(product)s on %(profile)s: %(amount)s before tax, on "
                                "the profile's next invoice.") % values)
    if bought.created_profile:
        messages.info(request, _("This was the account's first purchase, so it created the default billing profile "
                                 "%(profile)s, with you as its owner and the account's sold-to address as bill-to "
                                 "address.") % values)
    url = reverse("purchases:profile-subscriptions", args=[bought.profile_id])
    if getattr(request, "htmx", None):
        return HttpResponseClientRedirect(url)
    return redirect(url)


@object_action_required(Action.PURCHASE, profile_loader)
def profile_purchase(request, profile):
    if request.method != "POST":
        return redirect(f"{reverse('purchases:purchase')}?target=profile-{profile.pk}")
    return _confirm(request, profile=profile)


@object_action_required(Action.PURCHASE, account_loader)
def account_purchase(request, account):
    if request.method != "POST":
        return redirect(f"{reverse('purchases:purchase')}?target=account-{account.pk}")
    return _confirm(request, account=account)


def _tab_context(request, profile, *, errors: dict | None = None) -> dict:
    context = profile_tab_context(request, profile, "subscriptions")
    context.update({
        "subscriptions": subscriptions_for_profile(profile=profile),
        "purchases": recent_purchases_for_profile(profile=profile),
        "errors": errors or {},
        "today": billing_today(),
    })
    return context


@object_action_required(Action.VIEW, profile_loader)
def profile_subscriptions(request, profile):
    return render_page_or_partial(request, TAB, _tab_context(request, profile))


def _subscription(profile, subscription_id) -> Subscription:
    return get_object_or_404(Subscription.objects.select_related("product", "profile"), pk=subscription_id,
                             profile=profile)


@require_POST
@object_action_required(Action.PURCHASE, profile_loader)
def subscription_quantity(request, profile, subscription_id: int):
    subscription = _subscription(profile, subscription_id)
    try:
        subscription = subscription_change_quantity(actor=request.user, subscription=subscription,
                                                    quantity=(request.POST.get("quantity") or "").strip()[:30])
    except ValidationError as exc:
        return render_page_or_partial(request, TAB, _tab_context(
            request, profile, errors={subscription.pk: exc.messages}))
    messages.success(request, _("%(product)s: %(quantity)s from the charge of %(date)s on.") % {
        "product": subscription.product.name, "quantity": format_quantity(subscription.quantity),
        "date": subscription.next_charge_on.isoformat()})
    return after_success(request, url=reverse("purchases:profile-subscriptions", args=[profile.pk]),
                         render=lambda: render_page_or_partial(request, TAB, _tab_context(request, profile)))


@require_POST
@object_action_required(Action.PURCHASE, profile_loader)
def subscription_cancel_view(request, profile, subscription_id: int):
    subscription = _subscription(profile, subscription_id)
    subscription = subscription_cancel(actor=request.user, subscription=subscription)
    messages.success(request, _("%(product)s is cancelled: it ends on %(date)s and is not charged after that.") % {
        "product": subscription.product.name, "date": subscription.ends_on.isoformat()})
    return after_success(request, url=reverse("purchases:profile-subscriptions", args=[profile.pk]),
                         render=lambda: render_page_or_partial(request, TAB, _tab_context(request, profile)))
