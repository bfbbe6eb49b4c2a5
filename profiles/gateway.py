"""The payment gateway interface and the sandbox that ships with the product.

It lives with the payment methods: adding a card tokenizes it here; invoicing charges the
stored token (or debits the bank account) through the same gateway.

A real processor is added later behind the same interface (``PAYMENT_GATEWAY`` names the
class). Card numbers reach ``tokenize`` only; nothing here logs or returns them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string
from django.views.decorators.debug import sensitive_variables


@dataclass(frozen=True)
class CardToken:
    token: str
    brand: str
    last4: str
    # The same for every token of one card number (processors call it a fingerprint): how the same
    # card added twice is recognised without storing its number. Empty when the processor has none.
    fingerprint: str = ""


@dataclass(frozen=True)
class ChargeResult:
    status: str  # "succeeded" | "declined" | "failed_transient"
    reference: str = ""
    reason: str = ""


class Gateway:
    def tokenize(self, *, number: str, exp_month: int, exp_year: int, cvc: str, holder: str) -> CardToken:
        raise NotImplementedError

    def charge(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
        raise NotImplementedError

    def debit(self, *, mandate: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
        raise NotImplementedError


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4] or 0) <= 2720:
        return "Mastercard"
    if number[:2] in {"34", "37"}:
        return "American Express"
    if number.startswith(("6011", "65")):
        return "Discover"
    return "Card"


class SandboxGateway(Gateway):
    """Offline and deterministic. Test numbers: 4242424242424242 and 5555555555554444 succeed,
    4000000000000002 is declined, 4000000000009995 has insufficient funds, 4000000000000119 fails
    transiently (a retry fails again). Any other valid number succeeds."""

    OUTCOMES = {
        "4000000000000002": "declined",
        "4000000000009995": "insufficient",
        "4000000000000119": "transient",
    }
    REASONS = {"declined": "The card was declined.", "insufficient": "The card has insufficient funds."}

    def _mac(self, value: str) -> str:
        return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:24]

    @sensitive_variables("number", "cvc")
    def tokenize(self, *, number, exp_month, exp_year, cvc, holder):
        outcome = self.OUTCOMES.get(number, "ok")
        token = f"tok_sandbox_{outcome}_{self._mac(f'{number}|{exp_month}|{exp_year}')}"
        return CardToken(token=token, brand=card_brand(number), last4=number[-4:],
                         fingerprint="fp_sandbox_" + self._mac(f"fingerprint|{number}"))

    def charge(self, *, token, amount, currency, idempotency_key):
        reference = "ch_sandbox_" + self._mac(f"{token}|{idempotency_key}")
        outcome = token.split("_")[2] if token.startswith("tok_sandbox_") else "ok"
        if outcome == "transient":
            return ChargeResult("failed_transient", reference, "The card processor did not answer; try again later.")
        if outcome in self.REASONS:
            return ChargeResult("declined", reference, self.REASONS[outcome])
        return ChargeResult("succeeded", reference)

    def debit(self, *, mandate, amount, currency, idempotency_key):
        return ChargeResult("succeeded", "dd_sandbox_" + self._mac(f"{mandate}|{idempotency_key}"))


def get_gateway() -> Gateway:
    return import_string(settings.PAYMENT_GATEWAY)()
