# ruff: noqa: E501 - allauth's msgids, verbatim
"""allauth's sentences that staff read most, re-translated in Argentinian Spanish (voseo).

Listed here so `makemessages` keeps them in Sozu's catalog, which Django reads before
allauth's own (LOCALE_PATHS come first). Not used by code.
"""

from django.utils.translation import gettext_noop

ALLAUTH_OVERRIDES = (
    gettext_noop("Sign Out"),
    gettext_noop("View"),
    gettext_noop("No security keys have been added."),
    gettext_noop("Enter your password:"),
    gettext_noop("Are you sure you want to sign out?"),
    gettext_noop("Password Reset"),
    gettext_noop(
        "Forgotten your password? Enter your email address below, and we'll send you an email allowing you to reset it."
    ),
    gettext_noop("Reset My Password"),
    gettext_noop("Please contact us if you have any trouble resetting your password."),
    gettext_noop("Two-Factor Authentication"),
    gettext_noop(
        "Your account is protected by two-factor authentication. Please enter an authenticator code:"
    ),
    gettext_noop("Enter an authenticator code:"),
    gettext_noop("Confirm Access"),
    gettext_noop("Please reauthenticate to safeguard your account."),
    gettext_noop("Authenticator App"),
    gettext_noop("Recovery Codes"),
    gettext_noop("Security Keys"),
    gettext_noop("Use a security key"),
    gettext_noop("Cancel"),
    gettext_noop("Confirm"),
    gettext_noop("Activate"),
    gettext_noop("Deactivate"),
    gettext_noop("Add"),
)
