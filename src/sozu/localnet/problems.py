"""Horizon's problem+json error responses."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sozu.localnet.results import TxResult

PREFIX = "https://stellar.org/horizon-errors/"
CORS = {"Access-Control-Allow-Origin": "*"}

NOT_FOUND_DETAIL = (
    "The resource at the url requested was not found.  This usually occurs for one of two "
    "reasons:  The url requested is not valid, or no data in our database could be found with "
    "the parameters provided."
)
TIMEOUT_DETAIL = (
    "Your transaction submission request has timed out. This does not necessarily mean the "
    "submission has failed. Before resubmitting, please use the transaction hash provided in "
    "`extras.hash` to poll the GET /transactions endpoint for sometime and check if it was "
    "included in a ledger."
)
TX_FAILED_DETAIL = (
    "The transaction failed when submitted to the stellar network. The `extras.result_codes` "
    "field on this response contains further details.  Descriptions of each code can be found "
    "at: https://developers.stellar.org/api/errors/http-status-codes/horizon-specific/"
    "transaction-failed/"
)
MALFORMED_DETAIL = (
    "Horizon could not decode the transaction envelope in this request. A transaction should "
    "be an XDR TransactionEnvelope struct encoded using base64.  The envelope read from this "
    "request is echoed in the `extras.envelope_xdr` field of this response for your "
    "convenience."
)


def problem(
    kind: str, title: str, status: int, detail: str, extras: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {
        "type": PREFIX + kind,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if extras is not None:
        body["extras"] = extras
    return web.Response(
        status=status,
        text=json.dumps(body),
        content_type="application/problem+json",
        headers=CORS,
    )


def not_found() -> web.Response:
    return problem("not_found", "Resource Missing", 404, NOT_FOUND_DETAIL)


def bad_request(field: str, reason: str) -> web.Response:
    return problem(
        "bad_request",
        "Bad Request",
        400,
        "The request you sent was invalid in some way.",
        {"invalid_field": field, "reason": reason},
    )


def tx_failed(envelope_xdr: str, result: TxResult) -> web.Response:
    return tx_failed_codes(envelope_xdr, result.to_xdr(), result.result_codes())


def tx_failed_codes(envelope_xdr: str, result_xdr: str, codes: dict[str, Any]) -> web.Response:
    return problem(
        "transaction_failed",
        "Transaction Failed",
        400,
        TX_FAILED_DETAIL,
        {"envelope_xdr": envelope_xdr, "result_codes": codes, "result_xdr": result_xdr},
    )


def malformed(envelope_xdr: str) -> web.Response:
    return problem(
        "transaction_malformed",
        "Transaction Malformed",
        400,
        MALFORMED_DETAIL,
        {"envelope_xdr": envelope_xdr},
    )


def submission_timeout(tx_hash: str, envelope_xdr: str) -> web.Response:
    return problem(
        "transaction_submission_timeout",
        "Transaction Submission Timeout",
        504,
        TIMEOUT_DETAIL,
        {"hash": tx_hash, "envelope_xdr": envelope_xdr},
    )


def rate_limited() -> web.Response:
    return problem(
        "rate_limit_exceeded",
        "Rate Limit Exceeded",
        429,
        "The rate limit for the requesting IP address is over its alloted limit.  The allowed "
        "limit and requests left per time period are communicated to clients via the http "
        "response headers 'X-RateLimit-*' headers.",
    )


def unavailable() -> web.Response:
    return problem(
        "service_unavailable",
        "Service Unavailable",
        503,
        "The request cannot be serviced at this time.",
    )


def forbidden() -> web.Response:
    return problem(
        "forbidden", "Forbidden", 403, "Admin endpoints of the local network answer only loopback."
    )
