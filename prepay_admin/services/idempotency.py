"""Idempotency keys for mutating API calls: a replay returns the first answer; the same key with
another request is refused. The services are safe to repeat besides (a sign-off or a confirmation
is decided under a row lock), so a retry racing its first attempt still changes things once."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from ..models import ApiRequest
from .errors import ServiceError

KEY_MAX = 100


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool = False


class KeyReused(ServiceError):
    """The same Idempotency-Key with another request: 409."""


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def once(sessions: sessionmaker, staff_id: int, key: str, digest: str, run: Callable[[], Answer]) -> Answer:
    """Answer from the record of ``key`` if there is one, else ``run`` and record its answer.
    Only successful answers are recorded: a refused request may be corrected and sent again."""
    if not key or len(key) > KEY_MAX or not key.isascii() or not key.isprintable():
        raise ServiceError(f"Idempotency-Key 须为 1—{KEY_MAX} 个可打印 ASCII 字符", "Idempotency-Key")
    stored = _stored(sessions, staff_id, key)
    if stored is not None:
        return _replay(stored, digest, key)
    answer = run()
    try:
        with sessions.begin() as session:
            session.add(ApiRequest(staff_id=staff_id, idempotency_key=key, fingerprint=digest, status=answer.status,
                                   response_json=json.dumps(answer.body, ensure_ascii=False)))
    except IntegrityError:  # a concurrent call with the key recorded first: answer as it did
        return _replay(_stored(sessions, staff_id, key), digest, key)
    return answer


def _stored(sessions: sessionmaker, staff_id: int, key: str) -> ApiRequest | None:
    with sessions() as session:
        return session.scalar(select(ApiRequest).where(ApiRequest.staff_id == staff_id,
                                                       ApiRequest.idempotency_key == key))


def _replay(stored: ApiRequest, digest: str, key: str) -> Answer:
    if stored.fingerprint != digest:
        raise KeyReused(f"Idempotency-Key “{key}”已用于另一个请求", "Idempotency-Key")
    return Answer(stored.status, json.loads(stored.response_json), True)
