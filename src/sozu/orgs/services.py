"""Creating organizations with their wallets and channels; API keys; who signs for a key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from stellar_sdk import Keypair

from sozu.audit.services import Entry, audit_record
from sozu.errors import SozuError
from sozu.orgs.masterkey import master_box
from sozu.orgs.models import ApiKey, Membership, Organization, StoredSecret
from sozu.stellar import network
from sozu.stellar.signers import KeypairSigner, Signer

API_KEY_PREFIX = "sozu"
#: What staff may change on an organization after it exists.
LIMIT_FIELDS = (
    "name",
    "max_payout_amount",
    "max_batch_total",
    "max_lines_per_batch",
    "daily_cap",
    "max_fee_per_op",
    "max_in_flight",
)
#: Policies an owner sets in Configuración (with step-up), audited like the limits.
POLICY_FIELDS = ("batch_approvals_required", "step_up_payout_threshold")


def signer_for(public_key: str) -> Signer:
    """The signer that holds `public_key`.

    `SOZU_SIGNER_BACKEND` (a dotted path to a callable taking the public key) lets a KMS or an
    external signing service sign instead; by default the environment's org secret or a
    secret stored encrypted with the master key.
    """
    backend = getattr(settings, "SOZU_SIGNER_BACKEND", "")
    if backend:
        signer = import_string(backend)(public_key)
        if not isinstance(signer, Signer) or signer.public_key != public_key:
            raise SozuError("wallet_secret_missing")
        return signer
    env_secret = settings.ORG_DISBURSEMENT_SECRET
    if env_secret:
        env_signer = KeypairSigner(env_secret)
        if env_signer.public_key == public_key:
            return env_signer
    stored = StoredSecret.objects.filter(public_key=public_key).first()
    if stored is None:
        raise SozuError("wallet_secret_missing")
    return KeypairSigner(master_box().decrypt(stored.ciphertext))


def wallet_keypair(organization: Organization) -> Keypair:
    """The org wallet as a Keypair, for setup transactions built with the SDK's builder."""
    public_key = organization.wallet_public_key
    stored = StoredSecret.objects.filter(public_key=public_key).first()
    if stored is not None:
        return Keypair.from_secret(master_box().decrypt(stored.ciphertext))
    if settings.ORG_DISBURSEMENT_SECRET:
        kp = Keypair.from_secret(settings.ORG_DISBURSEMENT_SECRET)
        if kp.public_key == public_key:
            return kp
    raise SozuError("wallet_secret_missing")


def organization_create(
    *,
    slug: str,
    name: str,
    actor: str,
    use_env_secret: bool = False,
    fund_xlm: Decimal = Decimal("10000"),
    fund_usdc: Decimal = Decimal(0),
    channels: int = 12,
) -> Organization:
    """A new organization whose wallet exists on the network with a USDC trustline.

    The wallet is `ORG_DISBURSEMENT_SECRET` (when `use_env_secret`) or a new keypair whose
    secret is stored encrypted. On the local network the wallet is funded by the network; on
    testnet or pubnet someone funds it and runs this again: an organization whose setup did
    not finish is resumed, never created twice.
    """
    org = Organization.objects.filter(slug=slug).first()
    if org is not None and org.ready:
        raise SozuError("org_exists", slug=slug)
    if org is None:
        org = _organization_insert(
            slug=slug, name=name, actor=actor, use_env_secret=use_env_secret, channels=channels
        )
    wallet = wallet_keypair(org)
    exists = network.client().account(wallet.public_key) is not None
    if network.is_local_network(settings.NETWORK_PASSPHRASE):
        if not exists or fund_usdc > 0:
            network.localnet_fund(
                wallet.public_key, xlm=fund_xlm if not exists else Decimal(0), usdc=fund_usdc
            )
    elif not exists:
        raise SozuError(
            "network_unavailable", detail=f"fund {wallet.public_key} with XLM, then run this again"
        )
    network.ensure_trustline(wallet, network.usdc_asset())
    from sozu.disbursements.services.channels import channels_add, channels_recover

    have = channels_recover(organization=org, actor=actor)
    if channels > have:
        channels_add(organization=org, count=channels - have, actor=actor)
    with transaction.atomic():
        Organization.objects.filter(pk=org.pk).update(ready=True)
        audit_record(
            organization_id=org.pk,
            entry=Entry(
                actor,
                "organization.ready",
                "organization",
                org.pk,
                {"channels": max(channels, have)},
            ),
        )
    org.refresh_from_db()
    return org


def _organization_insert(
    *, slug: str, name: str, actor: str, use_env_secret: bool, channels: int
) -> Organization:
    if use_env_secret:
        if not settings.ORG_DISBURSEMENT_SECRET:
            raise SozuError("wallet_secret_missing")
        wallet = Keypair.from_secret(settings.ORG_DISBURSEMENT_SECRET)
    else:
        wallet = Keypair.random()
    box = master_box()
    with transaction.atomic():
        org = Organization.objects.create(
            slug=slug,
            name=name,
            wallet_public_key=wallet.public_key,
            max_in_flight=max(1, channels),
        )
        if not use_env_secret:
            # Stored before the wallet is funded: a crash must never strand funded keys.
            StoredSecret.objects.create(
                organization=org,
                public_key=wallet.public_key,
                role=StoredSecret.Role.WALLET,
                ciphertext=box.encrypt(wallet.secret),
            )
        audit_record(
            organization_id=org.pk,
            entry=Entry(
                actor,
                "organization.created",
                "organization",
                org.pk,
                {"slug": slug, "wallet": wallet.public_key},
            ),
        )
    return org


def organization_update_limits(
    *, organization_id: int, changes: dict[str, Any], actor: str
) -> Organization:
    """Change an organization's name, limits or policies, each audited (before → after)."""
    unknown = set(changes) - set(LIMIT_FIELDS) - set(POLICY_FIELDS)
    if unknown:
        raise SozuError("invalid_field", field=", ".join(sorted(unknown)))
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=organization_id)
        diff = {
            f: [str(getattr(org, f)), str(v)] for f, v in changes.items() if getattr(org, f) != v
        }
        for f, v in changes.items():
            setattr(org, f, v)
        if not diff:
            return org
        org.full_clean()
        org.save(update_fields=list(diff))
        audit_record(
            organization_id=org.pk,
            entry=Entry(actor, "organization.limits_changed", "organization", org.pk, diff),
        )
    return org


def apikey_create(*, organization: Organization, name: str, actor: str) -> tuple[ApiKey, str]:
    """A new API key; the plaintext is returned once and only its hash is kept."""
    prefix = secrets.token_hex(4)
    token = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            organization=organization,
            name=name,
            prefix=prefix,
            key_hash=hashlib.sha256(token.encode()).hexdigest(),
        )
        audit_record(
            organization_id=organization.pk,
            entry=Entry(
                actor, "apikey.created", "apikey", key.pk, {"prefix": prefix, "name": name}
            ),
        )
    return key, token


def apikey_revoke(*, key: ApiKey, actor: str) -> None:
    with transaction.atomic():
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
        audit_record(
            organization_id=key.organization_id,
            entry=Entry(actor, "apikey.revoked", "apikey", key.pk, {"prefix": key.prefix}),
        )


def apikey_authenticate(token: str) -> ApiKey | None:
    # The secret part is urlsafe base64 and may itself contain "_": split twice only.
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    key = (
        ApiKey.objects.select_related("organization")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if key is None:
        return None
    if not hmac.compare_digest(key.key_hash, hashlib.sha256(token.encode()).hexdigest()):
        return None
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


# --- staff and membership (dashboard, issue 11) ----------------------------------------------
def staff_membership_create(
    *,
    organization: Organization,
    email: str,
    role: str,
    actor: str,
    password: str | None = None,
    context: dict[str, Any] | None = None,
) -> tuple[Membership, bool]:
    """Give `email` a role in `organization`, creating the staff account if it is new.

    Returns the membership and whether the account was created. An existing member's role is
    changed. The password, when given, is set (checked by Django's validators); without one a
    new account has no usable password and its owner sets one through "forgot password".
    """
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise SozuError("staff_email_invalid", email=email) from None
    if role not in Membership.Role.values:
        raise SozuError("staff_role_invalid", role=role, roles=", ".join(Membership.Role.values))
    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.filter(email__iexact=email).first()
        created = user is None
        if user is None:
            user = user_model(username=email[:150], email=email)
        if password is not None:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise SozuError("staff_password_weak", detail=" ".join(exc.messages)) from None
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        membership, new_member = Membership.objects.update_or_create(
            user=user, organization=organization, defaults={"role": role}
        )
        audit_record(
            organization_id=organization.pk,
            entry=Entry(
                actor,
                "member.added" if new_member else "member.role_changed",
                "membership",
                membership.pk,
                {"email": email, "role": role, **(context or {})},
            ),
        )
    return membership, created


def organization_set_require_2fa(
    *, organization: Organization, required: bool, actor: str, context: dict[str, Any] | None = None
) -> None:
    """An owner requires (or stops requiring) a second factor of every member."""
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=organization.pk)
        if org.require_2fa == required:
            return
        org.require_2fa = required
        org.save(update_fields=["require_2fa"])
        organization.require_2fa = required
        audit_record(
            organization_id=org.pk,
            entry=Entry(
                actor,
                "organization.require_2fa_changed",
                "organization",
                org.pk,
                {"require_2fa": required, **(context or {})},
            ),
        )


def _owners_left_without(organization: Organization, membership: Membership) -> int:
    return (
        Membership.objects.filter(organization=organization, role=Membership.Role.OWNER)
        .exclude(pk=membership.pk)
        .count()
    )


def membership_set_role(
    *,
    organization: Organization,
    membership_id: int,
    role: str,
    actor: str,
    context: dict[str, Any] | None = None,
) -> Membership:
    """Change a member's role; the organization always keeps an owner."""
    if role not in Membership.Role.values:
        raise SozuError("staff_role_invalid", role=role, roles=", ".join(Membership.Role.values))
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)  # one change at a time
        m = (
            Membership.objects.select_related("user")
            .filter(pk=membership_id, organization=organization)
            .first()
        )
        if m is None:
            raise SozuError("member_not_found")
        if m.role == role:
            return m
        if m.role == Membership.Role.OWNER and not _owners_left_without(organization, m):
            raise SozuError("member_last_owner")
        previous, m.role = m.role, role
        m.save(update_fields=["role"])
        audit_record(
            organization_id=organization.pk,
            entry=Entry(
                actor,
                "member.role_changed",
                "membership",
                m.pk,
                {"email": m.user.email, "from": previous, "to": role, **(context or {})},
            ),
        )
    return m


def membership_remove(
    *,
    organization: Organization,
    membership_id: int,
    actor: str,
    context: dict[str, Any] | None = None,
) -> None:
    """Take a person out of the organization (their account stays; other memberships too)."""
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        m = (
            Membership.objects.select_related("user")
            .filter(pk=membership_id, organization=organization)
            .first()
        )
        if m is None:
            raise SozuError("member_not_found")
        if m.role == Membership.Role.OWNER and not _owners_left_without(organization, m):
            raise SozuError("member_last_owner")
        email, pk = m.user.email, m.pk
        m.delete()
        audit_record(
            organization_id=organization.pk,
            entry=Entry(
                actor,
                "member.removed",
                "membership",
                pk,
                {"email": email, "role": m.role, **(context or {})},
            ),
        )


def member_invite(
    *,
    organization: Organization,
    email: str,
    role: str,
    actor: str,
    site_url: str,
    context: dict[str, Any] | None = None,
) -> Membership:
    """Add a member and email them a link to choose their password (a password-reset link).

    A person who already has an account gets the role and an email that says so; the link
    is only sent to accounts without a usable password.
    """
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils.translation import gettext as _

    membership, _created = staff_membership_create(
        organization=organization, email=email, role=role, actor=actor, context=context
    )
    user = membership.user
    base = site_url.rstrip("/")
    if user.has_usable_password():
        body = _("You were added to %(org)s in Sozu. Sign in at %(url)s") % {
            "org": organization.name,
            "url": base + reverse("account_login"),
        }
    else:
        path = reverse(
            "account_reset_password_from_key",
            kwargs={
                "uidb36": user_pk_to_url_str(user),
                "key": default_token_generator.make_token(user),
            },
        )
        body = _(
            "You were invited to %(org)s in Sozu. Choose your password here (the link works "
            "once): %(url)s"
        ) % {"org": organization.name, "url": base + path}
    send_mail(
        _("Invitation to %(org)s in Sozu") % {"org": organization.name},
        body,
        None,
        [user.email],
    )
    return membership
