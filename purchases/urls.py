from django.urls import path

from purchases import views

app_name = "purchases"
urlpatterns = [
    path("purchase/", views.purchase, name="purchase"),
    path("profiles/<int:profile_id>/purchase/", views.profile_purchase, name="profile-purchase"),
    path("accounts/<int:account_id>/purchase/", views.account_purchase, name="account-purchase"),
    path("profiles/<int:profile_id>/subscriptions/", views.profile_subscriptions, name="profile-subscriptions"),
    path("profiles/<int:profile_id>/subscriptions/<int:subscription_id>/quantity/", views.subscription_quantity,
         name="subscription-quantity"),
    path("profiles/<int:profile_id>/subscriptions/<int:subscription_id>/cancel/", views.subscription_cancel_view,
         name="subscription-cancel"),
]
