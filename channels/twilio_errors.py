"""Twilio's failures sorted by what onward should do next, and the one boundary that maps them."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import requests
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http.http_client import TwilioHttpClient

from onward.channels.errors import (
    ChannelError,
    InvalidAddress,
    PermanentSendError,
    ProviderAuthError,
    RecipientOptedOut,
    SendOutcomeUnknown,
    TransientSendError,
)
from onward.channels.net import parse_retry_after

Action = Literal["opted_out", "invalid_recipient", "refused", "auth", "retry"]


@dataclass(frozen=True)
class KnownError:
    action: Action
    meaning: str


# The codes onward treats specially; meanings from https://www.twilio.com/docs/api/errors/<code>.
# Any other 4xx is a permanent failure carrying its code; 5xx and network trouble are transient.
KNOWN_ERRORS: Mapping[str, KnownError] = {
    "21610": KnownError("opted_out", "the recipient replied STOP to this sender"),
    "21211": KnownError("invalid_recipient", "the 'To' number is not a valid phone number"),
    "21214": KnownError("invalid_recipient", "the 'To' number cannot be reached"),
    "21217": KnownError("invalid_recipient", "the phone number does not appear to be valid"),
    "21401": KnownError("invalid_recipient", "the phone number is not a valid one"),
    "21407": KnownError("invalid_recipient", "the 'To' number's type does not take SMS"),
    "21421": KnownError("invalid_recipient", "the phone number is invalid"),
    "21614": KnownError("invalid_recipient", "the 'To' number is not a mobile that takes SMS"),
    "21612": KnownError("refused", "Twilio cannot route a message between this 'To' and 'From'"),
    # Operator settings, not the recipient's fault: Geo Permissions and the sender's capability.
    "21408": KnownError(
        "refused", "the recipient's region is disabled in Messaging Geo Permissions"
    ),
    "21606": KnownError("refused", "the sender cannot send SMS to this destination"),
    "20003": KnownError("auth", "Twilio refused the account SID and auth token"),
    "20429": KnownError("retry", "too many requests"),
    "21611": KnownError("retry", "the sender's outgoing queue is full"),
}
INVALID_RECIPIENT_CODES = frozenset(
    code for code, known in KNOWN_ERRORS.items() if known.action == "invalid_recipient"
)
OPTED_OUT_CODE = "21610"
# Carrier errors in a status callback for an SMS that could not reach the handset (unreachable,
# unknown or landline destination, blocked as spam, carrier violation...): the person may still
# be reached another way.
UNREACHABLE_CODES = frozenset({"30003", "30004", "30005", "30006", "30007", "30008"})
MALFORMED_RESPONSE = "malformed-response"


class HeaderRecordingHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's own HTTP client, remembering each thread's last response headers.

    ``TwilioRestException`` carries no headers, and a 429's ``Retry-After`` says when to come
    back; thread-local because one channel serves several dispatcher threads at once.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._last = threading.local()

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self._last.headers = {}
        response = super().request(*args, **kwargs)
        self._last.headers = dict(response.headers or {})
        return response

    def last_headers(self) -> Mapping[str, str]:
        headers: Mapping[str, str] = getattr(self._last, "headers", {})
        return {key.lower(): value for key, value in headers.items()}


@contextmanager
def map_errors(
    doing: str,
    *,
    account: str,
    headers: Callable[[], Mapping[str, str]],
    clock: Callable[[], datetime] | None,
    secret: str,
) -> Iterator[None]:
    """Turn whatever the SDK or the network raised while ``doing`` into onward's error types.

    ``account`` is the masked account SID for messages; ``secret`` is scrubbed from every
    message in case a provider or a proxy ever echoes it back.
    """

    def clean(text: str) -> str:
        return text.replace(secret, "[redacted]") if secret else text

    try:
        yield
    except ChannelError:
        raise
    except TwilioRestException as exc:
        code = exc.code if exc.code not in (None, exc.status) else None
        raise _for_answer(
            doing, account, exc.status, code, clean(str(exc.msg)), headers(), clock
        ) from exc
    except TwilioServiceException as exc:
        text = clean(f"{exc.title}: {exc.detail}" if exc.detail else str(exc.title))
        raise _for_answer(doing, account, exc.status, exc.code, text, headers(), clock) from exc
    except TwilioException as exc:
        # What the SDK's paging raises for a list that answered other than 200: no verdict.
        raise TransientSendError(clean(f"Twilio could not {doing}: {exc}")) from exc
    except json.JSONDecodeError as exc:
        # A 2xx whose body is not JSON: Twilio may well have taken the message, so sending it
        # again could deliver it twice; it is recorded as failed instead.
        raise SendOutcomeUnknown(
            f"Twilio answered '{doing}' with a body that is not JSON ({exc.msg}); "
            "not retried, as Twilio may have acted on it"
        ) from exc
    except requests.ConnectTimeout as exc:  # never reached Twilio: safe to send again
        raise TransientSendError(f"Twilio did not answer '{doing}' in time") from exc
    except requests.Timeout as exc:
        # The request went out: Twilio may have taken the message, and it has no idempotency
        # key, so a second send could reach the person twice. The status callback decides.
        raise SendOutcomeUnknown(
            f"Twilio did not answer '{doing}' in time; it may have been accepted"
        ) from exc
    except requests.RequestException as exc:
        raise TransientSendError(clean(f"could not reach Twilio to {doing}: {exc}")) from exc


def _for_answer(
    doing: str,
    account: str,
    status: int,
    code: int | str | None,
    text: str,
    headers: Mapping[str, str],
    clock: Callable[[], datetime] | None,
) -> ChannelError:
    code_text = str(code) if code is not None else None
    known = KNOWN_ERRORS.get(code_text or "")
    label = f"HTTP {status}" + (f", code {code_text}" if code_text else "")
    reason = known.meaning if known else text
    message = f"Twilio refused to {doing} ({label}): {reason}"
    action = known.action if known else None
    if action == "auth" or status in (401, 403):
        return ProviderAuthError(
            f"Twilio refused the credentials of account {account} ({label}): "
            "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
            code=code_text or f"http-{status}",
        )
    if action == "opted_out":
        return RecipientOptedOut(message, code=code_text)
    if action == "invalid_recipient":
        return InvalidAddress(message, code=code_text)
    if action == "retry" or status == 429 or status >= 500:
        retry_after = parse_retry_after(headers.get("retry-after"), clock() if clock else None)
        return TransientSendError(message, retry_after=retry_after)
    return PermanentSendError(message, code=code_text or f"http-{status}")
