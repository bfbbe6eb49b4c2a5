from django.urls import path

from profiles.views import payment_methods, permissions, profiles

app_name = "profiles"
urlpatterns = [
    path("profiles/", profiles.profile_list, name="profile-list"),
    path("profiles/new/", profiles.profile_create, name="profile-create"),
    path("profiles/<int:profile_id>/", profiles.profile_overview, name="profile-overview"),
    path("profiles/<int:profile_id>/edit/details/", profiles.profile_edit_details, name="profile-edit-details"),
    path("profiles/<int:profile_id>/edit/po-number/", profiles.profile_edit_po, name="profile-edit-po"),
    path("profiles/<int:profile_id>/invoice-email/", profiles.profile_invoice_email, name="profile-invoice-email"),
    path("profiles/<int:profile_id>/recipients/", profiles.profile_recipient_add, name="profile-recipient-add"),
    path("profiles/<int:profile_id>/recipients/<int:recipient_id>/remove/", profiles.profile_recipient_remove,
         name="profile-recipient-remove"),
    path("profiles/<int:profile_id>/disable/", profiles.profile_disable, name="profile-disable"),
    path("profiles/<int:profile_id>/permissions/", permissions.profile_permissions, name="profile-permissions"),
    path("profiles/<int:profile_id>/permissions/grant/", permissions.role_grant_view, name="role-grant"),
    path("profiles/<int:profile_id>/permissions/<int:assignment_id>/change/", permissions.role_change_view,
         name="role-change"),
    path("profiles/<int:profile_id>/permissions/<int:assignment_id>/remove/", permissions.role_remove_view,
         name="role-remove"),
    path("profiles/<int:profile_id>/permissions.csv", permissions.role_assignments_csv, name="role-csv"),
    path(
        "profiles/<int:profile_id>/payment-methods/",
        payment_methods.profile_payment_methods,
        name="profile-payment-methods",
    ),
    path("profiles/<int:profile_id>/payment-methods/add/<slug:kind>/", payment_methods.payment_method_add,
         name="payment-method-add"),
    path("profiles/<int:profile_id>/payment-methods/<int:method_id>/default/", payment_methods.payment_method_default,
         name="payment-method-default"),
    path("profiles/<int:profile_id>/payment-methods/<int:method_id>/remove/", payment_methods.payment_method_remove,
         name="payment-method-remove"),
]
