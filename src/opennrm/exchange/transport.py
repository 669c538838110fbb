"""Pushing a package to a partner's inbox over HTTP(S) (standard library only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class PushResult:
    ok: bool
    status: int
    reason: str
    message: str


def push(url: str, token: str, *, language: str = "en", timeout: float = 30.0) -> PushResult:
    """POST the compact token to ``url``; the partner's answer, never an exception for HTTP."""
    if urlsplit(url).scheme not in ("https", "http"):
        raise ValueError("only http(s) addresses")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=token.encode("ascii"),
        method="POST",
        headers={
            "Content-Type": "application/jose",
            "Accept": "application/json",
            "Accept-Language": language,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = _json(response.read())
            return PushResult(True, response.status, "", str(body.get("kind", "")))
    except urllib.error.HTTPError as exc:
        body = _json(exc.read())
        return PushResult(
            False, exc.code, str(body.get("reason", "")), str(body.get("message", ""))
        )
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return PushResult(False, 0, "unreachable", str(exc))


def _json(raw: bytes) -> dict[str, object]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
