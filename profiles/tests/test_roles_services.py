import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from billing_admin.core.models import ActivityEvent
from conftest import grant
from profiles.models import BillingProfileUserObjectPermission, Role, RoleAssignment
from profiles.services.roles import role_change, role_grant, role_revoke
from profiles.tests.factories import BillingProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def perms(user, profile):
    return sorted(BillingProfileUserObjectPermission.objects.filter(user=user, content_object=profile)
                  .values_list("permission__codename", flat=True))


def test_grant_change_and_revoke_keep_guardian_in_step_and_write_the_log():
    profile, boss, pat = BillingProfileFactory(), UserFactory(), UserFactory(email="Pat@Example.com")
    grant(boss, Role.OWNER, profile)
    assignment = role_grant(actor=boss, user_email="pat@example.COM", role=Role.READER, profile=profile)
    assert perms(pat, profile) == ["view_billingprofile"] and assignment.granted_by == boss
    role_change(actor=boss, assignment=assignment, role=Role.INVOICE_MANAGER)
    assert perms(pat, profile) == ["pay_invoices", "view_billingprofile"]
    role_revoke(actor=boss, assignment=assignment)
    assert perms(pat, profile) == [] and not RoleAssignment.objects.filter(user=pat).exists()
    verbs = list(ActivityEvent.objects.filter(profile=profile).values_list("verb", flat=True))
    assert {"role.granted", "role.changed", "role.revoked"} <= set(verbs)


def test_unknown_email_and_duplicate_grant_are_refused_clearly():
    profile, boss, pat = BillingProfileFactory(), UserFactory(), UserFactory()
    grant(boss, Role.OWNER, profile)
    with pytest.raises(ValidationError, match="No user with the e-mail address ghost@example.com"):
        role_grant(actor=boss, user_email="ghost@example.com", role=Role.READER, profile=profile)
    role_grant(actor=boss, user_email=pat.email, role=Role.READER, profile=profile)
    with pytest.raises(ValidationError, match="already has the role Reader"):
        role_grant(actor=boss, user_email=pat.email, role=Role.OWNER, profile=profile)
    assert RoleAssignment.objects.filter(profile=profile).count() == 2


def test_the_last_owner_can_be_neither_removed_nor_demoted():
    profile, boss = BillingProfileFactory(), UserFactory()
    only = grant(boss, Role.OWNER, profile)
    with pytest.raises(ValidationError, match="last owner"):
        role_revoke(actor=boss, assignment=only)
    with pytest.raises(ValidationError, match="last owner"):
        role_change(actor=boss, assignment=only, role=Role.READER)
    assert RoleAssignment.objects.get(pk=only.pk).role == Role.OWNER
    assert perms(boss, profile)  # guardian untouched


def test_an_account_owner_counts_as_an_owner_of_its_profiles():
    profile, boss, account_boss = BillingProfileFactory(), UserFactory(), UserFactory()
    direct = grant(boss, Role.OWNER, profile)
    via_account = grant(account_boss, Role.ACCOUNT_OWNER, profile.account)
    role_revoke(actor=account_boss, assignment=direct)  # the account owner still owns it
    with pytest.raises(ValidationError):
        role_revoke(actor=account_boss, assignment=via_account)  # now it would be orphaned


def test_only_those_who_manage_roles_may_grant():
    profile, contributor = BillingProfileFactory(), UserFactory()
    grant(contributor, Role.CONTRIBUTOR, profile)
    with pytest.raises(PermissionDenied):
        role_grant(actor=contributor, user_email=UserFactory().email, role=Role.OWNER, profile=profile)


def test_an_account_role_cannot_be_granted_on_a_profile():
    profile, boss = BillingProfileFactory(), UserFactory()
    grant(boss, Role.OWNER, profile)
    with pytest.raises(ValidationError, match="cannot be granted here"):
        role_grant(actor=boss, user_email=UserFactory().email, role=Role.ACCOUNT_OWNER, profile=profile)
