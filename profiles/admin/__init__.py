"""Django admin for support engineers, one module per area (owners extend their own module)."""

from profiles.admin import invitations, payment_methods, profiles, roles, users  # noqa: F401

# The account and profile pages show their roles (their activity log is under the form).
profiles.BillingAccountAdmin.inlines = [*profiles.BillingAccountAdmin.inlines, roles.RoleAssignmentInline]
profiles.BillingProfileAdmin.inlines = [*profiles.BillingProfileAdmin.inlines, roles.RoleAssignmentInline]
