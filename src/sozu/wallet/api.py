"""The wallet's JSON API (/wallet/api/): what her phone asks the server for.

Errors are problem+json like /api/v1 (the same handlers). Calls about her account carry the
SEP-10 token (`Authorization: Bearer …`); its `sub` is the only account they act for.
"""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import Field

from sozu.core.api import (
    JsonObjectParser,
    api_view,
    error_response,
    http_error,
    internal_error,
    request_refusal,
    too_big,
)
from sozu.stellar.network import usdc_asset
from sozu.wallet import rates, sep10
from sozu.wallet.errors import SozuError
from sozu.wallet.services import accounts, invitations, submission

router = Router(tags=["wallet"])


class Sep10Token(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        try:
            return sep10.token_account(token.strip())
        except sep10.Sep10Error:
            return None


def account_of(request: HttpRequest) -> str:
    return sep10_base(str(request.auth))  # type: ignore[attr-defined]


def sep10_base(account: str) -> str:
    return submission.base_account(account)


class UsdcOut(Schema):
    code: str
    issuer: str


class ConfigOut(Schema):
    network_passphrase: str
    horizon_url: str
    usdc: UsdcOut
    home_domain: str
    sponsor: str
    recovery_signer: str


class RateOut(Schema):
    rate: str | None
    source: str | None = None
    quoted_at: str | None = None
    stale_after: str | None = None


class CreationIn(Schema):
    recovery_code_signer: str


class TransactionIn(Schema):
    transaction: str


class CreationOut(Schema):
    transaction: str
    network_passphrase: str
    summary: dict[str, Any]


class SubmittedOut(Schema):
    hash: str
    inner_hash: str
    status: str
    ledger: int | None


class RedeemIn(Schema):
    code: str


class LinkOut(Schema):
    organization: str
    beneficiary: str


class Sep7In(Schema):
    uri: str


class Sep7Out(Schema):
    destination: str
    amount: str | None
    asset_code: str
    asset_issuer: str
    memo: str
    memo_type: str
    message: str
    origin_domain: str
    verified: bool


class RecoveryIn(Schema):
    account: str
    new_device_key: str
    recovery_code_key: str
    #: base64 signature by the recovery code's key of "sozu-recovery:{account}:{new_device_key}"
    proof: str


class RecoveryOut(Schema):
    handle: str
    status: str


class CodeIn(Schema):
    code: str


class XdrOut(Schema):
    transaction: str
    network_passphrase: str


class ActivityOut(Schema):
    #: The hash Horizon lists the payment under (a fee bump's outer hash when there is one).
    tx_hash: str
    kind: Literal["disbursement", "repayment"]
    organization: str
    memo: str
    amount: str
    paid_at: str | None
    loan: str | None = Field(None, description="A repayment's loan reference.")
    cuotas: list[int] = Field(default=[], description="The cuotas a repayment paid.")


class MeOut(Schema):
    account: str
    links: list[LinkOut]


@router.get("/config", response=ConfigOut, auth=None, url_name="wallet_config")
def config(request: HttpRequest) -> dict[str, Any]:
    usdc = usdc_asset()
    return {
        "network_passphrase": settings.NETWORK_PASSPHRASE,
        "horizon_url": settings.SOZU_PUBLIC_HORIZON_URL or settings.HORIZON_URL,
        "usdc": {"code": usdc.code, "issuer": usdc.issuer or ""},
        "home_domain": sep10.home_domain(),
        "sponsor": accounts.sponsor_public_key(),
        "recovery_signer": accounts.recovery_signer(),
    }


@router.get("/rate", response=RateOut, auth=None, url_name="wallet_rate")
def rate(request: HttpRequest) -> dict[str, Any]:
    from datetime import timedelta

    quote = rates.rate_current()
    if quote is None:
        return {"rate": None}
    stale_after = min(quote.quoted_at, quote.fetched_at) + timedelta(
        minutes=settings.SOZU_RATE_STALE_MINUTES
    )
    return {
        "rate": str(quote.rate),
        "source": quote.source,
        "quoted_at": quote.quoted_at.isoformat(),
        "stale_after": stale_after.isoformat(),
    }


@router.post("/account", response=CreationOut, url_name="wallet_account_build")
def account_build(request: HttpRequest, body: CreationIn) -> dict[str, Any]:
    creation = accounts.account_creation_build(
        account=account_of(request), recovery_code_signer=body.recovery_code_signer.strip()
    )
    return {
        "transaction": creation.xdr,
        "network_passphrase": settings.NETWORK_PASSPHRASE,
        "summary": creation.summary,
    }


def _submitted(row: Any) -> dict[str, Any]:
    return {
        "hash": row.outer_hash,
        "inner_hash": row.inner_hash,
        "status": row.status,
        "ledger": row.ledger,
    }


@router.post("/account/submit", response=SubmittedOut, url_name="wallet_account_submit")
def account_submit(request: HttpRequest, body: TransactionIn) -> dict[str, Any]:
    row = accounts.account_creation_submit(account=account_of(request), signed_xdr=body.transaction)
    return _submitted(row)


@router.post("/transactions", response=SubmittedOut, url_name="wallet_transactions")
def transactions(request: HttpRequest, body: TransactionIn) -> dict[str, Any]:
    row = submission.payment_submit(account=account_of(request), signed_xdr=body.transaction)
    return _submitted(row)


@router.post("/invitations/redeem", response=LinkOut, url_name="wallet_invitation_redeem")
def invitation_redeem(request: HttpRequest, body: RedeemIn) -> dict[str, Any]:
    inv = invitations.invitation_redeem(account=account_of(request), code=body.code)
    return {"organization": inv.organization.name, "beneficiary": inv.beneficiary.full_name}


@router.post("/sep7/check", response=Sep7Out, url_name="wallet_sep7_check")
def sep7_check(request: HttpRequest, body: Sep7In) -> dict[str, Any]:
    """A scanned payment request, decoded and its signature checked, before she signs."""
    from sozu.wallet.sep7 import pay_request_check

    found = pay_request_check(body.uri)
    return {
        **found.__dict__,
        "amount": str(found.amount) if found.amount is not None else None,
    }


RECOVERY_SALT = "sozu.wallet.recovery"


def _handle(req: Any) -> str:
    from django.core import signing

    return signing.dumps(req.pk, salt=RECOVERY_SALT)


def _recovery_id(handle: str) -> int:
    from django.core import signing

    try:
        return int(signing.loads(handle, salt=RECOVERY_SALT, max_age=24 * 3600))
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise SozuError("wallet_recovery_not_pending") from exc


@router.post("/recovery", response=RecoveryOut, auth=None, url_name="wallet_recovery_start")
def recovery_start(request: HttpRequest, body: RecoveryIn) -> dict[str, Any]:
    """From her new phone: she has lost her device key, not her recovery code."""
    import base64
    import binascii

    from sozu.wallet.services.recovery import recovery_start as start

    try:
        proof = base64.b64decode(body.proof, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SozuError("wallet_recovery_refused") from exc
    req = start(
        account=body.account.strip(),
        new_device_key=body.new_device_key.strip(),
        recovery_code_key=body.recovery_code_key.strip(),
        proof=proof,
    )
    return {"handle": _handle(req), "status": req.status}


@router.post(
    "/recovery/{handle}/code", response=RecoveryOut, auth=None, url_name="wallet_recovery_code"
)
def recovery_code(request: HttpRequest, handle: str, body: CodeIn) -> dict[str, Any]:
    from sozu.wallet.services.recovery import recovery_verify_code

    req = recovery_verify_code(request_id=_recovery_id(handle), code=body.code)
    return {"handle": handle, "status": req.status}


@router.get("/recovery/{handle}", response=RecoveryOut, auth=None, url_name="wallet_recovery")
def recovery_status(request: HttpRequest, handle: str) -> dict[str, Any]:
    from sozu.wallet.models import RecoveryRequest

    req = RecoveryRequest.objects.filter(pk=_recovery_id(handle)).first()
    if req is None:
        raise SozuError("wallet_recovery_not_pending")
    return {"handle": handle, "status": req.status}


@router.get(
    "/recovery/{handle}/transaction",
    response=XdrOut,
    auth=None,
    url_name="wallet_recovery_transaction",
)
def recovery_transaction(request: HttpRequest, handle: str) -> dict[str, Any]:
    from sozu.wallet.services.recovery import recovery_build

    xdr = recovery_build(request_id=_recovery_id(handle))
    return {"transaction": xdr, "network_passphrase": settings.NETWORK_PASSPHRASE}


@router.post(
    "/recovery/{handle}/submit",
    response=SubmittedOut,
    auth=None,
    url_name="wallet_recovery_submit",
)
def recovery_submit(request: HttpRequest, handle: str, body: TransactionIn) -> dict[str, Any]:
    from sozu.wallet.services.recovery import recovery_submit as submit

    return _submitted(submit(request_id=_recovery_id(handle), signed_xdr=body.transaction))


@router.get("/activity", response=list[ActivityOut], url_name="wallet_activity")
def activity(request: HttpRequest) -> list[dict[str, Any]]:
    """What the server knows about her payments, to label her history: each payout an NGO
    paid her, and each repayment of hers with the loan and cuotas it paid (by transaction
    hash). Amounts and balances still come from the network."""
    from sozu.credit.selectors_wallet import wallet_repayments
    from sozu.disbursements.models import Payout

    account = account_of(request)
    paid = (
        Payout.objects.filter(destination__in=[account], status=Payout.Status.PAID)
        .exclude(tx_hash="")
        .select_related("organization")
        .order_by("-paid_at", "-id")[:200]
    )
    disbursements = [
        {
            "tx_hash": p.outer_tx_hash or p.tx_hash,
            "kind": "disbursement",
            "organization": p.organization.name,
            "memo": p.memo,
            "amount": str(p.amount),
            "paid_at": p.paid_at.isoformat() if p.paid_at else None,
        }
        for p in paid
    ]
    repayments = [
        {
            "tx_hash": r.tx_hash,
            "kind": "repayment",
            "organization": r.organization,
            "memo": r.loan_reference,
            "amount": format(r.amount, "f"),
            "paid_at": r.received_on.isoformat(),
            "loan": r.loan_reference,
            "cuotas": list(r.cuotas),
        }
        for r in wallet_repayments(account=account)
    ]
    return disbursements + repayments


@router.get("/me", response=MeOut, url_name="wallet_me")
def me(request: HttpRequest) -> dict[str, Any]:
    from sozu.beneficiaries.models import Beneficiary

    account = account_of(request)
    linked = Beneficiary.objects.filter(stellar_address=account).select_related("organization")
    return {
        "account": account,
        "links": [
            {"organization": b.organization.name, "beneficiary": b.full_name} for b in linked
        ],
    }


def build_wallet_api() -> NinjaAPI:
    api = NinjaAPI(
        title="Sozu Wallet API",
        version="1",
        auth=Sep10Token(),
        parser=JsonObjectParser(),
        openapi_url=None,
        docs_url=None,
        urls_namespace="wallet-api",
        servers=[],
    )
    handlers: dict[type[Exception], Any] = {
        SozuError: lambda request, exc: error_response(exc),
        AuthenticationError: lambda request, exc: error_response(
            SozuError("wallet_unauthenticated")
        ),
        ValidationError: lambda request, exc: error_response(request_refusal(request, exc)),
        HttpError: http_error,
        Http404: lambda request, exc: error_response(SozuError("not_found")),
        RequestDataTooBig: too_big,
        Exception: internal_error,
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)
    api.add_router("/", router)
    return api


def wallet_api_urlpatterns() -> list[URLPattern]:
    api = build_wallet_api()
    patterns = []
    for bound in api._get_bound_routers():
        for route, path_view in bound.path_operations.items():
            full = "/".join(part.strip("/") for part in (bound.prefix, route) if part.strip("/"))
            methods = {m for op in path_view.operations for m in op.methods}
            name = path_view.operations[0].view_func.__name__
            patterns.append(
                path(
                    "wallet/api/" + full.replace("{", "<").replace("}", ">"),
                    api_view(path_view.get_view(), methods),
                    name=f"wallet_api_{name}",
                )
            )
    return patterns


__all__ = ["HttpResponse", "build_wallet_api", "wallet_api_urlpatterns"]
