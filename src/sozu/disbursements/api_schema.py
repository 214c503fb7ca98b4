"""The OpenAPI 3.1 description of the disbursement API, written by hand next to its views."""

from __future__ import annotations

from typing import Any

from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.services.lines import MAX_FILE_BYTES

Schema = dict[str, Any]

DESCRIPTION = """\
Pay USDC on Stellar to one address at a time or to many in a batch.

Amounts are decimal **strings** with at most 7 decimals (`"12.50"`); numbers with a fraction
are refused with `amount_float` so that no amount is ever rounded. Every error is
`application/problem+json` with a stable `code`, and a `detail` in the language asked for with
`Accept-Language` (Spanish by default, English). Problems about single lines list them in
`errors`.

Send an `Idempotency-Key` with every creation you might retry: a retry with the same key and
the same body gets the first answer back and pays nothing twice.
"""


def ref(kind: str, name: str) -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def json_content(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def problem(description: str) -> Schema:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": ref("schemas", "Problem")}},
    }


AMOUNT: Schema = {
    "type": "string",
    "pattern": r"^[0-9]+(\.[0-9]{1,7})?$",
    "examples": ["12.50"],
    "description": "USDC, as a decimal string with at most 7 decimals.",
}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
NULLABLE_INT: Schema = {"type": ["integer", "null"]}
TIMESTAMP: Schema = {"type": ["string", "null"], "format": "date-time"}

LINE_INPUT: Schema = {
    "type": "object",
    "description": "Give exactly one of `destination` and `beneficiary_id`.",
    "properties": {
        "destination": {
            "type": "string",
            "description": "A Stellar address (G…) or a muxed address (M…).",
        },
        "beneficiary_id": {"type": "integer", "description": "An approved beneficiary."},
        "amount": AMOUNT,
        "memo": {"type": "string", "description": "Text memo, at most 28 bytes."},
    },
    "required": ["amount"],
}

PAYOUT: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "batch_id": NULLABLE_INT,
        "line": NULLABLE_INT,
        "destination": {"type": "string"},
        "beneficiary_id": NULLABLE_INT,
        "amount": AMOUNT,
        "memo": {"type": "string"},
        "status": {"type": "string", "enum": Payout.Status.values},
        "tx_hash": {**NULLABLE_STRING, "description": "The Stellar transaction that paid it."},
        "ledger": NULLABLE_INT,
        "failure_code": NULLABLE_STRING,
        "failure_reason": NULLABLE_STRING,
        "created_at": TIMESTAMP,
        "paid_at": TIMESTAMP,
    },
    "required": ["id", "destination", "amount", "status", "tx_hash", "ledger"],
}

BATCH: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "status": {"type": "string", "enum": Batch.Status.values},
        "pause_code": NULLABLE_STRING,
        "pause_reason": NULLABLE_STRING,
        "created_at": {"type": "string", "format": "date-time"},
        "started_at": TIMESTAMP,
        "finished_at": TIMESTAMP,
        "stats": {
            "type": "object",
            "properties": {
                "lines": {"type": "integer"},
                "total_amount": AMOUNT,
                "paid_count": {"type": "integer"},
                "paid_amount": AMOUNT,
                "by_status": {
                    "type": "object",
                    "description": "Per line status: how many lines and their total amount.",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {"count": {"type": "integer"}, "amount": AMOUNT},
                    },
                },
                "duration_seconds": {"type": ["number", "null"]},
            },
        },
    },
    "required": ["id", "name", "status", "stats"],
}

PROBLEM: Schema = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "format": "uri", "examples": ["urn:sozu:problem:not_found"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "Translated (Accept-Language)."},
        "code": {"type": "string", "description": "Stable; branch on this, not on detail."},
        "params": {"type": "object", "additionalProperties": {"type": "string"}},
        "errors": {
            "type": "array",
            "description": "One entry per line that is invalid (line numbers of the input).",
            "items": {
                "type": "object",
                "properties": {
                    "line": {"type": "integer"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "params": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                "required": ["line", "code", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "detail", "code", "errors"],
}


def page_of(item: str) -> Schema:
    return {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "page": {"type": "integer"},
            "page_size": {"type": "integer"},
            "next": NULLABLE_STRING,
            "previous": NULLABLE_STRING,
            "results": {"type": "array", "items": ref("schemas", item)},
        },
        "required": ["count", "page", "page_size", "next", "previous", "results"],
    }


def query(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


PARAMETERS: Schema = {
    "BatchId": {"name": "batch_id", "in": "path", "required": True, "schema": {"type": "integer"}},
    "PayoutId": {
        "name": "payout_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    },
    "WebhookId": {
        "name": "webhook_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    },
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": (
            "Any unique string (a UUID). A retry with the same key and body returns the first "
            "answer (header `Idempotent-Replayed: true`) and creates or pays nothing again; the "
            "same key with another body is refused (422 `idempotency_conflict`). While the first "
            "request is still running, a payout that already exists is answered 202 with its "
            "`href`; before that, 409 `idempotency_in_progress`."
        ),
    },
    "AcceptLanguage": {
        "name": "Accept-Language",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "examples": ["es", "en"]},
        "description": "Language of `detail` and reasons: es (default) or en.",
    },
    "Page": query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
    "LinesPageSize": query(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
        "Lines per page.",
    ),
    "BatchesPageSize": query(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 100},
        "Batches per page.",
    ),
    "LineStatus": query(
        "status", {"type": "string", "enum": Payout.Status.values}, "Only lines in this status."
    ),
    "BatchStatus": query(
        "status", {"type": "string", "enum": Batch.Status.values}, "Only batches in this status."
    ),
}

RESPONSES: Schema = {
    "BadRequest": problem("Invalid input; `errors` lists each invalid line."),
    "Unauthorized": problem("Missing, unknown or revoked API key (`unauthenticated`)."),
    "NotFound": problem("No such object in your organization (`not_found`)."),
    "Conflict": problem(
        "Not possible in the current state (`invalid_transition`, `org_underfunded`, …)."
    ),
    "IdempotencyInProgress": problem("A request with this key is still running."),
    "IdempotencyConflict": problem("This key was used with a different request."),
    "TooLarge": problem(
        f"The body or file is larger than {MAX_FILE_BYTES} bytes (`file_too_large`)."
    ),
    "UnsupportedMediaType": problem("Send JSON, text/csv, or multipart/form-data with `file`."),
    "NetworkUnavailable": problem("The Stellar network could not be reached; retry later."),
}


def operation(
    op_id: str,
    summary: str,
    ok: dict[str, Schema],
    *,
    errors: tuple[str, ...] = (),
    parameters: tuple[str, ...] = (),
    body: Schema | None = None,
    tags: tuple[str, ...] = (),
    public: bool = False,
) -> Schema:
    op: Schema = {"operationId": op_id, "summary": summary, "tags": list(tags)}
    params = [*parameters, "AcceptLanguage"] if not public else list(parameters)
    if params:
        op["parameters"] = [ref("parameters", p) for p in params]
    if body is not None:
        op["requestBody"] = body
    responses = dict(ok)
    if not public:
        responses["401"] = ref("responses", "Unauthorized")
    codes = {
        "BadRequest": "400",
        "NotFound": "404",
        "Conflict": "409",
        "IdempotencyInProgress": "409",
        "IdempotencyConflict": "422",
        "TooLarge": "413",
        "UnsupportedMediaType": "415",
        "NetworkUnavailable": "503",
    }
    for name in errors:
        responses.setdefault(codes[name], ref("responses", name))
    op["responses"] = responses
    if public:
        op["security"] = []
    return op


def batch_action(op_id: str, summary: str, status: str, description: str) -> Schema:
    ok = {status: {"description": description, "content": json_content(ref("schemas", "Batch"))}}
    return {
        "post": operation(
            op_id,
            summary,
            ok,
            errors=("NotFound", "Conflict", "NetworkUnavailable"),
            parameters=("BatchId",),
            tags=("batches",),
        )
    }


PAYOUT_BODY: Schema = {
    "required": True,
    "content": json_content(ref("schemas", "PayoutRequest")),
}

BATCH_BODY: Schema = {
    "required": True,
    "description": (
        "JSON with the lines, or a CSV file with the columns `destination` (or "
        "`beneficiary_id`), `amount` and optionally `memo`; the CSV may be the body "
        "(`text/csv`, name in the `name` query parameter) or the `file` field of a form."
    ),
    "content": {
        "application/json": {"schema": ref("schemas", "BatchRequest")},
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "contentMediaType": "text/csv"},
                    "name": {"type": "string", "maxLength": 200},
                },
                "required": ["file"],
            }
        },
    },
}


WEBHOOK: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "active": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
    },
    "required": ["id", "url", "active", "created_at"],
}
WEBHOOK_CREATED: Schema = {
    "allOf": [
        WEBHOOK,
        {"type": "object", "properties": {"secret": {"type": "string"}}, "required": ["secret"]},
    ],
}
WEBHOOK_LIST: Schema = {
    "type": "object",
    "properties": {"results": {"type": "array", "items": WEBHOOK}},
    "required": ["results"],
}


def paths() -> Schema:
    payout_ok = {
        "description": "Paid (with `tx_hash` and `ledger`), or failed (`failure_code`).",
        "content": json_content(ref("schemas", "Payout")),
    }
    payout_slow = {
        "description": "Still queued or in flight after the wait: poll `href`.",
        "headers": {"Location": {"schema": {"type": "string"}}},
        "content": json_content(ref("schemas", "PayoutAccepted")),
    }
    created = {
        "description": "Created, every line valid; nothing moves until it is executed.",
        "headers": {"Location": {"schema": {"type": "string"}}},
        "content": json_content(ref("schemas", "Batch")),
    }
    creation_errors = (
        "BadRequest",
        "Conflict",
        "IdempotencyInProgress",
        "IdempotencyConflict",
        "TooLarge",
        "NetworkUnavailable",
    )
    return {
        "/api/v1/openapi.json": {
            "get": operation(
                "openapi",
                "This document",
                {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": json_content({"type": "object"}),
                    }
                },
                tags=("meta",),
                public=True,
            )
        },
        "/api/v1/payouts": {
            "post": operation(
                "payoutCreate",
                "Pay one destination now",
                {"200": payout_ok, "202": payout_slow},
                errors=creation_errors,
                parameters=("IdempotencyKey",),
                body=PAYOUT_BODY,
                tags=("payouts",),
            )
        },
        "/api/v1/payouts/{payout_id}": {
            "get": operation(
                "payoutGet",
                "A payout and its status",
                {
                    "200": {
                        "description": "The payout",
                        "content": json_content(ref("schemas", "Payout")),
                    }
                },
                errors=("NotFound",),
                parameters=("PayoutId",),
                tags=("payouts",),
            )
        },
        "/api/v1/batches": {
            "get": operation(
                "batchList",
                "Your batches, newest first",
                {
                    "200": {
                        "description": "A page",
                        "content": json_content(ref("schemas", "BatchPage")),
                    }
                },
                errors=("BadRequest",),
                parameters=("BatchStatus", "Page", "BatchesPageSize"),
                tags=("batches",),
            ),
            "post": operation(
                "batchCreate",
                "Create a batch (all lines valid, or nothing saved)",
                {"201": created},
                errors=(*creation_errors, "UnsupportedMediaType"),
                parameters=("IdempotencyKey",),
                body=BATCH_BODY,
                tags=("batches",),
            ),
        },
        "/api/v1/batches/{batch_id}": {
            "get": operation(
                "batchGet",
                "A batch: status and statistics",
                {
                    "200": {
                        "description": "The batch",
                        "content": json_content(ref("schemas", "Batch")),
                    }
                },
                errors=("NotFound",),
                parameters=("BatchId",),
                tags=("batches",),
            )
        },
        "/api/v1/batches/{batch_id}/lines": {
            "get": operation(
                "batchLines",
                "The lines of a batch",
                {
                    "200": {
                        "description": "A page",
                        "content": json_content(ref("schemas", "PayoutPage")),
                    }
                },
                errors=("BadRequest", "NotFound"),
                parameters=("BatchId", "LineStatus", "Page", "LinesPageSize"),
                tags=("batches",),
            )
        },
        "/api/v1/batches/{batch_id}/export.csv": {
            "get": operation(
                "batchExport",
                "The lines with beneficiary contact details, as CSV",
                {
                    "200": {
                        "description": "CSV, streamed",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    }
                },
                errors=("NotFound",),
                parameters=("BatchId",),
                tags=("batches",),
            )
        },
        "/api/v1/batches/{batch_id}/execute": batch_action(
            "batchExecute", "Start paying the batch", "202", "Executing: the engine pays its lines."
        ),
        "/api/v1/batches/{batch_id}/pause": batch_action(
            "batchPause", "Pause (lines in flight still settle)", "200", "Paused."
        ),
        "/api/v1/batches/{batch_id}/resume": batch_action(
            "batchResume", "Resume a paused batch", "200", "Executing again."
        ),
        "/api/v1/batches/{batch_id}/cancel": batch_action(
            "batchCancel", "Cancel every line not yet in flight", "200", "Cancelled (or pausing)."
        ),
        "/api/v1/batches/{batch_id}/retry": batch_action(
            "batchRetry", "Queue the failed lines again", "200", "Executing the failed lines again."
        ),
        "/api/v1/webhooks": {
            "get": operation(
                "webhookList",
                "Your webhook endpoints",
                {"200": {"description": "Endpoints", "content": json_content(WEBHOOK_LIST)}},
                tags=("webhooks",),
            ),
            "post": operation(
                "webhookCreate",
                "Register an HTTPS endpoint for payout and batch events",
                {
                    "201": {
                        "description": (
                            "Registered. `secret` signs every delivery (header `Sozu-Signature: "
                            "t=<unix>,v1=<hex HMAC-SHA256 of '<t>.<body>'>`); it is shown once."
                        ),
                        "content": json_content(WEBHOOK_CREATED),
                    }
                },
                errors=("BadRequest",),
                body={
                    "required": True,
                    "content": json_content(
                        {
                            "type": "object",
                            "properties": {"url": {"type": "string", "format": "uri"}},
                            "required": ["url"],
                        }
                    ),
                },
                tags=("webhooks",),
            ),
        },
        "/api/v1/webhooks/{webhook_id}": {
            "delete": operation(
                "webhookDisable",
                "Stop sending events to this endpoint",
                {"200": {"description": "Disabled", "content": json_content(WEBHOOK)}},
                errors=("NotFound", "Conflict"),
                parameters=("WebhookId",),
                tags=("webhooks",),
            )
        },
    }


def openapi_document() -> Schema:
    """The whole document, served at /api/v1/openapi.json."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sozu disbursements API",
            "version": "1.0.0",
            "description": DESCRIPTION,
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "security": [{"ApiKey": []}],
        "tags": [{"name": "payouts"}, {"name": "batches"}, {"name": "webhooks"}, {"name": "meta"}],
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "ApiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "sozu_<prefix>_<secret>",
                    "description": "Your organization's API key: `Authorization: Bearer sozu_…`.",
                }
            },
            "parameters": PARAMETERS,
            "responses": RESPONSES,
            "schemas": {
                "Amount": AMOUNT,
                "LineInput": LINE_INPUT,
                "PayoutRequest": LINE_INPUT,
                "BatchRequest": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "maxLength": 200},
                        "lines": {"type": "array", "items": ref("schemas", "LineInput")},
                    },
                    "required": ["lines"],
                },
                "Payout": PAYOUT,
                "PayoutAccepted": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "status": {"type": "string", "enum": Payout.Status.values},
                        "href": {"type": "string"},
                    },
                    "required": ["id", "status", "href"],
                },
                "Batch": BATCH,
                "BatchPage": page_of("Batch"),
                "PayoutPage": page_of("Payout"),
                "Problem": PROBLEM,
            },
        },
    }
