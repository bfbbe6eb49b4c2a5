from django.urls import path

from invoicing.views import credits, invoices, payments

app_name = "invoicing"
urlpatterns = [
    path("profiles/<int:profile_id>/invoices/", invoices.profile_invoices, name="profile-invoices"),
    path("profiles/<int:profile_id>/invoices/<int:invoice_id>/", invoices.invoice_page, name="invoice-detail"),
    path("profiles/<int:profile_id>/invoices/download.zip", invoices.invoices_zip, name="invoices-zip"),
    path("accounts/<int:account_id>/invoices/download.zip", invoices.account_invoices_zip,
         name="account-invoices-zip"),
    path("profiles/<int:profile_id>/invoices/<int:invoice_id>/payments/<int:payment_id>/receipt/",
         invoices.payment_receipt, name="payment-receipt"),
    path("profiles/<int:profile_id>/invoices/<int:invoice_id>/pdf/", invoices.invoice_pdf, name="invoice-pdf"),
    path("profiles/<int:profile_id>/invoices/<int:invoice_id>/factur-x.xml", invoices.invoice_xml,
         name="invoice-xml"),
    path("profiles/<int:profile_id>/invoices/<int:invoice_id>/pay/", payments.pay_invoice, name="invoice-pay"),
    path(
        "profiles/<int:profile_id>/credit-balance/", credits.profile_credit_balance, name="profile-credit-balance"
    ),
    path("profiles/<int:profile_id>/credits/", credits.profile_credits, name="profile-credits"),
    path("profiles/<int:profile_id>/credit-balance/transactions.csv", credits.credit_transactions_csv,
         name="credit-transactions-csv"),
]
