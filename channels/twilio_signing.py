"""X-Twilio-Signature, checked the way Twilio documents it (and its SDK's RequestValidator does):
HMAC-SHA1 with the auth token over the URL Twilio called, then each field's name and value, the
names sorted and each name's distinct values sorted, the digest in base64. Twilio may sign the
URL with or without its port, so both are accepted.

Done here directly, once in the usual case: the SDK's validator always computes two HMACs,
parses the URL and copies the fields, several times what one HMAC costs per webhook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, urlparse

FORM_TYPE = "application/x-www-form-urlencoded"


def signature(url: str, fields: Iterable[tuple[str, str]], token: str) -> str:
    """Twilio's signature of a request to `url` carrying `fields` (repeated names allowed)."""
    values: dict[str, set[str]] = {}
    for name, value in fields:
        values.setdefault(name, set()).add(value)
    data = url + "".join(name + value for name in sorted(values) for value in sorted(values[name]))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@lru_cache(maxsize=256)
def url_variants(url: str) -> tuple[str, ...]:
    """The URL as given, then as Twilio may also have signed it: with its default port added,
    or without the port it names (the SDK's add_port and remove_port, to the letter)."""
    parsed = urlparse(url)
    try:
        port = parsed.port
    except ValueError:  # no number after the colon: no other way to write it
        return (parsed.geturl(),)
    if port:
        other = parsed._replace(netloc=parsed.netloc.split(":")[0])
    else:
        default = 443 if parsed.scheme == "https" else 80
        other = parsed._replace(netloc=f"{parsed.netloc}:{default}")
    return (parsed.geturl(), other.geturl())


def matches(
    url: str,
    form: Mapping[str, str],
    given: str,
    token: str,
    body: bytes = b"",
    content_type: str = "",
) -> bool:
    """Does `given` sign this request? `form` holds one value per field; a urlencoded `body`
    that repeats a field is read again with every value, as Twilio signed it (and only so: a
    signature over fewer values than were sent is refused, as the SDK refuses it)."""
    wanted = given.encode()
    fields: Iterable[tuple[str, str]] = form.items()
    # Counting separators is cheap; a body is parsed again only when it may repeat a field.
    if content_type == FORM_TYPE and body.count(b"&") + 1 > len(form):
        every = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        if len(every) > len(form):
            fields = every
    fields = list(fields)
    return any(
        hmac.compare_digest(signature(candidate, fields, token).encode(), wanted)
        for candidate in url_variants(url)
    )
