"""SMS or WhatsApp through Twilio's Messages API over HTTPS.

POST {base}/2010-04-01/Accounts/{sid}/Messages.json with form fields To, From (or
MessagingServiceSid) and Body, HTTP basic auth (account SID, auth token). WhatsApp is the same
API with ``whatsapp:`` before both numbers. Settings (or environment variables of the same
name): SOZU_TWILIO_ACCOUNT_SID, SOZU_TWILIO_AUTH_TOKEN, SOZU_TWILIO_FROM,
SOZU_TWILIO_CHANNEL (sms | whatsapp), SOZU_TWILIO_BASE_URL (https://api.twilio.com; tests
point it at a local fake server), SOZU_TWILIO_TIMEOUT (seconds, default 10).

Answers: 2xx → sent (the message SID is kept); 429 and 5xx, timeouts and connection errors →
retry later; any other 4xx (bad number, bad credentials) → failed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from sozu.credit.notify.base import DeliveryFailed, DeliveryRetry, Notifier, OutgoingMessage


def _setting(name: str, default: str = "") -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value).strip()


class TwilioNotifier(Notifier):
    name = "twilio"
    needs_address = True

    def __init__(self) -> None:
        self.account_sid = _setting("SOZU_TWILIO_ACCOUNT_SID")
        self.auth_token = _setting("SOZU_TWILIO_AUTH_TOKEN")
        self.sender = _setting("SOZU_TWILIO_FROM")
        self.channel = _setting("SOZU_TWILIO_CHANNEL", "sms") or "sms"
        self.base_url = _setting("SOZU_TWILIO_BASE_URL", "https://api.twilio.com").rstrip("/")
        self.timeout = float(_setting("SOZU_TWILIO_TIMEOUT", "10") or "10")
        if not (self.account_sid and self.auth_token and self.sender):
            raise ImproperlyConfigured(
                "TwilioNotifier needs SOZU_TWILIO_ACCOUNT_SID, SOZU_TWILIO_AUTH_TOKEN and "
                "SOZU_TWILIO_FROM"
            )
        if self.channel not in ("sms", "whatsapp"):
            raise ImproperlyConfigured("SOZU_TWILIO_CHANNEL must be sms or whatsapp")

    def _address(self, number: str) -> str:
        return f"whatsapp:{number}" if self.channel == "whatsapp" else number

    def send(self, message: OutgoingMessage) -> str:
        if not message.to:
            raise DeliveryFailed("no phone number")
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        sender_field = "MessagingServiceSid" if self.sender.startswith("MG") else "From"
        data = {
            "To": self._address(message.to),
            sender_field: self.sender if sender_field != "From" else self._address(self.sender),
            "Body": message.body,
        }
        try:
            response = requests.post(
                url,
                data=data,
                auth=(self.account_sid, self.auth_token),
                timeout=self.timeout,
                headers={"I-Twilio-Idempotency-Token": f"sozu-reminder-{message.id}"},
            )
        except requests.Timeout as exc:
            raise DeliveryRetry("timeout") from exc
        except requests.RequestException as exc:
            raise DeliveryRetry(f"connection error: {type(exc).__name__}") from exc
        detail = _detail(response)
        if response.status_code == 429 or response.status_code >= 500:
            raise DeliveryRetry(f"HTTP {response.status_code} {detail}".strip())
        if response.status_code >= 300:
            raise DeliveryFailed(f"HTTP {response.status_code} {detail}".strip())
        body = _json(response)
        return str(body.get("sid", ""))[:80]


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _detail(response: requests.Response) -> str:
    body = _json(response)
    parts = [str(body[k]) for k in ("code", "message") if body.get(k) is not None]
    return ": ".join(parts)[:300]


def twilio_signature(url: str, params: dict[str, str], auth_token: str) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL and the sorted form fields."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signature_valid(url: str, params: dict[str, str], signature: str) -> bool:
    """Whether a request really comes from Twilio (False when no auth token is configured)."""
    token = _setting("SOZU_TWILIO_AUTH_TOKEN")
    if not token or not signature:
        return False
    return hmac.compare_digest(twilio_signature(url, params, token), signature)
