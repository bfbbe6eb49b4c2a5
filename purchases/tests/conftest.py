from __future__ import annotations

import pytest

from purchases.services.purchases import purchase_key_issue


@pytest.fixture
def key():
    """key(user): a fresh purchase key, as the purchase form issues it."""
    return lambda user: purchase_key_issue(user=user)
