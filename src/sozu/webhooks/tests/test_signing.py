"""A receiver checks that a delivery comes from Sozu, unchanged and recent."""

from __future__ import annotations

from sozu.webhooks.signing import webhook_signature_header, webhook_signature_verify

SECRET = "whsec_test-secret"
BODY = b'{"data":{"payout_id":1},"id":"evt_1","type":"payout.paid"}'
NOW = 1_800_000_000


def test_a_genuine_delivery_verifies() -> None:
    header = webhook_signature_header(SECRET, NOW, BODY)

    assert header.startswith(f"t={NOW},v1=")
    assert webhook_signature_verify(SECRET, header, BODY, now=NOW + 299)


def test_a_changed_body_or_another_secret_does_not_verify() -> None:
    header = webhook_signature_header(SECRET, NOW, BODY)

    assert not webhook_signature_verify(SECRET, header, BODY.replace(b"1", b"2"), now=NOW)
    assert not webhook_signature_verify("whsec_other", header, BODY, now=NOW)


def test_an_old_or_future_delivery_is_refused_as_a_replay() -> None:
    header = webhook_signature_header(SECRET, NOW, BODY)

    assert not webhook_signature_verify(SECRET, header, BODY, now=NOW + 301)
    assert not webhook_signature_verify(SECRET, header, BODY, now=NOW - 301)
    assert webhook_signature_verify(SECRET, header, BODY, tolerance=3600, now=NOW + 3000)


def test_a_changed_timestamp_does_not_verify() -> None:
    signature = webhook_signature_header(SECRET, NOW, BODY).split(",")[1]

    assert not webhook_signature_verify(SECRET, f"t={NOW + 1},{signature}", BODY, now=NOW)


def test_one_matching_signature_among_several_is_enough() -> None:
    good = webhook_signature_header(SECRET, NOW, BODY).split(",")[1]
    header = f"t={NOW},v1={'0' * 64},{good}"

    assert webhook_signature_verify(SECRET, header, BODY, now=NOW)


def test_malformed_headers_do_not_verify() -> None:
    for header in ["", "t=abc,v1=00", f"t={NOW}", "v1=00", "garbage", f"t={NOW},v0=00"]:
        assert not webhook_signature_verify(SECRET, header, BODY, now=NOW)
