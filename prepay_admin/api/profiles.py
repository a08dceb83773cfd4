"""``/api/v1/profiles``: the stored policy profiles with their versions, one version's parameters and
file, two profiles compared, and a bureau's own profile added (管理员; multipart with an
Idempotency-Key). A bad file is a 422 listing every problem by parameter; nothing is stored."""
from __future__ import annotations

import dataclasses
import hashlib

from flask.views import MethodView

from ..profiles import PROFILE_BYTES_MAX
from ..queries.profiles import ProfileRef, compare_profiles, list_profiles, profile_detail
from ..services.idempotency import Answer
from ..services.profiles import add_profile
from .auth import call, caller
from .routing import ERRORS, IDEMPOTENCY, blp, idempotent, sessions
from .schemas.profiles import ComparisonOut, ProfileAddedOut, ProfileDetailOut, ProfileFileIn, ProfileOut, ProfilePairIn


@blp.route("/profiles")
class Profiles(MethodView):
    @blp.response(200, ProfileOut(many=True))
    @blp.doc(responses=ERRORS)
    def get(self):
        """Every stored version of every profile, who added it and which campaigns run on it."""
        return call(lambda: list_profiles(sessions(), caller().username))

    @blp.arguments(ProfileFileIn, location="files")
    @blp.response(201, ProfileAddedOut)
    @blp.doc(parameters=[IDEMPOTENCY], responses=ERRORS)
    def post(self, files):
        """Add a profile, or a new version of one (管理员): validated whole, stored with its SHA-256; the same
        text again answers 200 with ``replayed``; a stored version is never changed."""
        data = files["file"].read(PROFILE_BYTES_MAX + 1)

        def run() -> Answer:
            added = call(lambda: add_profile(sessions(), data, caller().username))
            return Answer(200 if added.replayed else 201, ProfileAddedOut().dump(added))

        return idempotent(run, {"file": hashlib.sha256(data).hexdigest()})


@blp.route("/profiles/<name>/<id:version>")
class Profile(MethodView):
    @blp.response(200, ProfileDetailOut)
    @blp.doc(responses=ERRORS)
    def get(self, name: str, version: int):
        """One stored version: its parameters as the file writes them, and the file itself."""
        detail = call(lambda: profile_detail(sessions(), caller().username, name[:40], version))
        return {**dataclasses.asdict(detail.summary), "content": detail.content,
                "parameters": [{"path": p, "value": v} for p, v in detail.parameters]}


@blp.route("/profiles/comparison")
class Comparison(MethodView):
    @blp.arguments(ProfilePairIn, location="query")
    @blp.response(200, ComparisonOut)
    @blp.doc(responses=ERRORS)
    def get(self, pair):
        """Every parameter that differs between profiles ``a`` and ``b`` (名称@版本), with both values."""
        refs = [call(lambda t=text: ProfileRef.parse(t)) for text in (pair["a"], pair["b"])]
        return call(lambda: compare_profiles(sessions(), *refs))
