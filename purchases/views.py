"""The purchase page and the profile's Subscriptions tab.

The page (GET) picks product, quantity and billing profile and shows the quote (price, tax,
currency, when it is invoiced); confirming POSTs to the chosen profile's (or account's) purchase
URL, which checks the purchase action on that object: 404 for who may not see it, 403 for who
may only look.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
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
from purchases.forms import PurchaseForm
from purchases.models import Purchase, Subscription
from purchases.selectors import (
    account_loader,
    products_on_sale,
    purchase_targets,
    recent_purchases_for_profile,
    subscriptions_for_profile,
)
from purchases.services.purchases import clean_quantity, purchase_key_issue, purchase_make, purchase_quote
from purchases.services.subscriptions import subscription_cancel, subscription_change_quantity

PAGE = "purchases/purchase.html"
TAB = "purchases/profile_subscriptions.html"


def _target_of(value: str, profiles, accounts):
    kind, _sep, pk = (value or "").partition("-")
    if kind == "profile":
        return next((p for p in profiles if str(p.pk) == pk), None)
    if kind == "account":
        return next((a for a in accounts if str(a.pk) == pk), None)
    return None


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


def _page(request, form, profiles, accounts, *, status=200, partial="purchase"):
    target = _target_of(form.data.get("target", ""), profiles, accounts) if form.is_bound else None
    quote = _quote_for(form, target) if form.is_bound else None
    if isinstance(target, BillingProfile):
        confirm_url = reverse("purchases:profile-purchase", args=[target.pk])
        default_method = target.payment_methods.filter(is_default=True).first()
    elif isinstance(target, BillingAccount):
        confirm_url, default_method = reverse("purchases:account-purchase", args=[target.pk]), None
    else:
        confirm_url = default_method = None
    context = {
        "form": form, "quote": quote, "target": target, "confirm_url": confirm_url,
        "creates_profile": isinstance(target, BillingAccount), "default_method": default_method,
        "purchase_key": purchase_key_issue(user=request.user) if quote else "",
        "products": list(form.fields["product"].queryset),
    }
    return render_page_or_partial(request, PAGE, context, partial=partial, status=status)


@checks_permissions_itself("offers only the profiles and accounts on which the user may buy")
def purchase(request):
    profiles, accounts = purchase_targets(request.user)
    if not profiles and not accounts:
        raise PermissionDenied(_("You may not buy on any billing profile."))
    data = request.GET if "product" in request.GET or "target" in request.GET else None
    initial = {"quantity": 1}
    if data is None and len(profiles) + len(accounts) == 1:
        initial["target"] = f"profile-{profiles[0].pk}" if profiles else f"account-{accounts[0].pk}"
    form = PurchaseForm(data, initial=initial, products=products_on_sale(), profiles=profiles, accounts=accounts)
    return _page(request, form, profiles, accounts)


def _confirm(request, *, profile=None, account=None):
    """POST: buy. Errors re-render the page with the form as sent; nothing is written."""
    profiles, accounts = purchase_targets(request.user)
    value = f"profile-{profile.pk}" if profile is not None else f"account-{account.pk}"
    data = request.POST.copy()
    data["target"] = value
    if profile is not None and profile not in profiles:
        profiles = [*profiles, profile]  # a disabled profile: the service says why it is refused
    if account is not None and account not in accounts:
        accounts = [*accounts, account]  # it got a profile meanwhile: the purchase lands there
    form = PurchaseForm(data, products=products_on_sale(), profiles=profiles, accounts=accounts)
    if form.is_valid():
        try:
            bought = purchase_make(actor=request.user, product=form.cleaned_data["product"],
                                   quantity=form.cleaned_data["quantity"],
                                   purchase_key=form.cleaned_data["purchase_key"], profile=profile, account=account)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return _after_purchase(request, bought)
    return _page(request, form, profiles, accounts)


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
