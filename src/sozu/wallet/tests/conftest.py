"""The wallet's browser fixtures (a Chromium, the funded sponsor, an invited beneficiary) shared
by every browser test of the wallet; they are defined beside the first of them."""

from sozu.wallet.tests.test_browser_wallet import (  # noqa: F401  # fixtures, by name
    browser,
    invited,
    wallet_net,
)
