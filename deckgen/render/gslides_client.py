"""Run a Google Slides plan: the only module of deckgen that talks to Google's APIs.

Why it is built this way:

* Clients come from the discovery documents packaged with google-api-python-client
  (`static_discovery=True`): building them makes no network call, and tests drive the whole flow
  through `googleapiclient.http.HttpMockSequence` by passing `http=`.
* Quotas: Slides allows 60 writes a minute per user and a batchUpdate counts as one. A token
  bucket per API (`RateLimiter`) keeps a process under the configured budget, and a 429 drains
  its bucket so the calls that follow wait too. The budget is per process: a batch running N
  workers under one Google identity should give each worker 1/N of it.
* Retries (the client library does none by default, and with `num_retries` it ignores
  `Retry-After` and waits without a cap): capped exponential backoff with full jitter, at
  least `Retry-After` when the server sends it, for 429, 5xx and rate-limit 403 only. Any other
  4xx is our bug or the user's setup (no access, bad template) and fails at once with a
  PublishError naming the call.
* Never a duplicate: copies are tagged in Drive `appProperties` and found on re-run (resumed when
  made from the same inputs, replaced or kept otherwise). A create whose outcome is unknown
  (5xx, dropped connection) is looked up before it is retried; a batchUpdate is guarded by
  `requiredRevisionId`, so a retry of a batch that did land fails instead of applying twice, and
  the revision then tells that it landed.
* Chart images are public only between upload and the content batch, and are removed in a
  `finally`; images a killed run left behind carry the deck's tag and are removed by the next
  run's first listing.
* Nothing secret is logged: log lines name calls and HTTP statuses, never tokens or bodies.
"""

from __future__ import annotations

import functools
import io
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from deckgen.errors import PublishError
from deckgen.render.gslides_requests import (
    PNG_MIME,
    PPTX_MIME,
    GslidesSettings,
    Json,
    Plan,
    RateLimits,
    RetrySettings,
    delete_file_call,
    find_call,
    notes_state,
    resolve,
    revision_call,
    template_facts,
    trash_call,
)

__all__ = [
    "ApiCallError",
    "GslidesSession",
    "PublishResult",
    "RateLimiter",
    "build_services",
    "execute_plan",
]

log = logging.getLogger("deckgen.gslides")

RATE_LIMIT_REASONS = {"ratelimitexceeded", "userratelimitexceeded", "rate_limit_exceeded"}
MediaSource = Callable[[str], bytes]


class ApiCallError(PublishError):
    """A call failed for good; `status`/`reason` let cleanup tell "gone" from "forbidden"."""

    def __init__(self, message: str, status: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


@dataclass
class PublishResult:
    """What happened to one deck, for the command output and the manifest."""

    status: Literal["created", "resumed", "unchanged", "kept", "replaced"]
    presentation_id: str
    url: str
    title: str
    calls: int = 0
    retries: int = 0
    superseded: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- rate limiting


class RateLimiter:
    """Token buckets per API family, refilled continuously; `sleep`/`clock` injectable for tests."""

    def __init__(
        self,
        limits: RateLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.rates = {
            "slides_write": limits.slides_writes_per_minute / 60.0,
            "slides_read": limits.slides_reads_per_minute / 60.0,
            "drive": limits.drive_requests_per_minute / 60.0,
        }
        self.capacity = float(max(1, limits.burst))
        now = clock()
        self.tokens = dict.fromkeys(self.rates, self.capacity)
        self.stamp = dict.fromkeys(self.rates, now)
        self.waited = 0.0

    @staticmethod
    def bucket_for(method: str) -> str:
        if method.startswith("slides."):
            return "slides_read" if method.endswith(".get") else "slides_write"
        return "drive"

    def _refill(self, bucket: str) -> None:
        now = self.clock()
        elapsed = max(0.0, now - self.stamp[bucket])
        self.tokens[bucket] = min(self.capacity, self.tokens[bucket] + elapsed * self.rates[bucket])
        self.stamp[bucket] = now

    def acquire(self, bucket: str) -> float:
        """Take one token, sleeping until one is available; returns the seconds waited."""
        self._refill(bucket)
        waited = 0.0
        if self.tokens[bucket] < 1.0:
            waited = (1.0 - self.tokens[bucket]) / self.rates[bucket]
            self.sleep(waited)
            self.waited += waited
            self._refill(bucket)
            self.tokens[bucket] = max(self.tokens[bucket], 1.0)
        self.tokens[bucket] -= 1.0
        return waited

    def penalize(self, bucket: str) -> None:
        """The server said "too many": empty the bucket so the next calls pace themselves."""
        self._refill(bucket)
        self.tokens[bucket] = min(self.tokens[bucket], 0.0)


# --------------------------------------------------------------------------- services


def build_services(
    credentials: Any = None, *, http: Any = None, timeout_s: float = 60.0
) -> dict[str, Any]:
    """Slides v1 and Drive v3 clients from the packaged discovery documents (no network).

    `http` (an `httplib2.Http`-like object, e.g. `HttpMockSequence`) wins over `credentials`.
    """
    from googleapiclient.discovery import build

    if http is None:
        if credentials is None:
            raise PublishError(
                "no Google credentials: run `deckgen auth login` or configure a "
                "service account (docs/google-slides.md)"
            )
        import google_auth_httplib2
        import httplib2

        http = google_auth_httplib2.AuthorizedHttp(
            credentials, http=httplib2.Http(timeout=timeout_s)
        )
    return {
        "slides": build("slides", "v1", http=http, static_discovery=True, cache_discovery=False),
        "drive": build("drive", "v3", http=http, static_discovery=True, cache_discovery=False),
    }


def _error_reason(exc: Any) -> tuple[str, str]:
    """(reason, message) from a googleapiclient HttpError's JSON body, lower-cased reason."""
    import json

    reason, message = "", ""
    try:
        data = json.loads(
            exc.content.decode("utf-8") if isinstance(exc.content, bytes) else exc.content
        )
        err = data.get("error", {}) if isinstance(data, dict) else {}
        message = str(err.get("message", ""))
        for item in err.get("errors") or []:
            if item.get("reason"):
                reason = str(item["reason"])
                break
        for item in err.get("details") or []:
            if not reason and item.get("reason"):
                reason = str(item["reason"])
        reason = reason or str(err.get("status", ""))
    except (ValueError, AttributeError, TypeError):
        pass
    return reason, message[:300]


def _retry_after(resp: Any, now: Callable[[], float] = time.time) -> float | None:
    value = resp.get("retry-after") if hasattr(resp, "get") else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(str(value)).timestamp() - now())
    except (TypeError, ValueError, IndexError):
        return None


# --------------------------------------------------------------------------- session


class GslidesSession:
    """Clients, rate limiter and retry policy shared by every deck of a run.

    One session per process: its limiter is what keeps a batch under the per-user quota.
    """

    def __init__(
        self,
        settings: GslidesSettings,
        *,
        credentials: Any = None,
        http: Any = None,
        services: Mapping[str, Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        limiter: RateLimiter | None = None,
        on_call: Callable[[Json], None] | None = None,
        validate: bool = True,
    ) -> None:
        self.settings = settings
        self.services = (
            dict(services)
            if services is not None
            else build_services(credentials, http=http, timeout_s=settings.timeout_s)
        )
        self.sleep = sleep
        self.rng = rng
        self.limiter = limiter or RateLimiter(settings.rate, clock=clock, sleep=sleep)
        self.on_call = on_call
        self.validate = validate
        self.calls = 0
        self.retries = 0

    # ---------------------------------------------------------------- one call

    def _request(self, call: Json, media: MediaSource | None) -> Any:
        api, *resources, name = str(call["method"]).split(".")
        node = self.services[api]
        for r in resources:
            node = getattr(node, r)()
        kwargs: dict[str, Any] = dict(call.get("params") or {})
        if call.get("body") is not None:
            kwargs["body"] = call["body"]
        if call.get("media"):
            if media is None:
                raise PublishError(f"{call['id']}: no media source for {call['media']!r}")
            from googleapiclient.http import MediaIoBaseUpload

            key = str(call["media"])
            mime = PPTX_MIME if key == "template" else PNG_MIME
            kwargs["media_body"] = MediaIoBaseUpload(
                io.BytesIO(media(key)), mimetype=mime, resumable=False
            )
        return getattr(node, name)(**kwargs)

    def run(
        self,
        call: Json,
        results: Mapping[str, Any] | None = None,
        *,
        media: MediaSource | None = None,
        on_ambiguous: Callable[[], Any] | None = None,
        on_conflict: Callable[[], Any] | None = None,
    ) -> Any:
        """Resolve references, then execute with rate limiting and retries.

        `on_ambiguous` runs before retrying after a failure whose outcome is unknown (5xx or a
        dropped connection) and may return the result found (e.g. the file did get created).
        `on_conflict` runs when, after such a failure, the retry is refused with a 4xx, and may
        return a result if the first attempt turns out to have landed.
        """
        from googleapiclient.errors import HttpError

        resolved = resolve(call, results or {}, str(call["id"]))
        where = f"{resolved['id']} ({resolved['method']})"
        if self.on_call is not None:
            self.on_call(resolved)
        bucket = RateLimiter.bucket_for(str(resolved["method"]))
        retry: RetrySettings = self.settings.retry
        ambiguous_seen = False
        last = ""
        for attempt in range(1, retry.max_attempts + 1):
            self.limiter.acquire(bucket)
            self.calls += 1
            retry_after: float | None = None
            try:
                log.debug("%s: attempt %d", where, attempt)
                return self._request(resolved, media).execute(num_retries=0)
            except HttpError as exc:
                status = int(getattr(exc.resp, "status", 0) or 0)
                reason, message = _error_reason(exc)
                rate_limited = status == 429 or (
                    status == 403 and reason.lower() in RATE_LIMIT_REASONS
                )
                if not (rate_limited or status >= 500):
                    if ambiguous_seen and on_conflict is not None:
                        landed = on_conflict()
                        if landed is not None:
                            return landed
                    raise ApiCallError(
                        f"{where} failed: HTTP {status} {reason}: {message}".rstrip(": "),
                        status,
                        reason,
                    ) from None
                if rate_limited:
                    self.limiter.penalize(bucket)
                retry_after = _retry_after(exc.resp)
                ambiguous = status >= 500
                last = f"HTTP {status} {reason}".strip()
            except (OSError, TimeoutError) as exc:
                ambiguous = True
                last = type(exc).__name__
            except Exception as exc:  # httplib2's own transport errors
                if type(exc).__module__.split(".")[0] != "httplib2":
                    raise
                ambiguous = True
                last = type(exc).__name__
            ambiguous_seen = ambiguous_seen or ambiguous
            if attempt == retry.max_attempts:
                raise ApiCallError(f"{where} failed after {attempt} attempts: {last}")
            if retry_after is not None and retry_after > retry.max_retry_after_s:
                raise ApiCallError(
                    f"{where}: the server asked to wait {retry_after:.0f} s (more than "
                    f"gslides.retry.max_retry_after_s = {retry.max_retry_after_s:g}); {last}"
                )
            if ambiguous and on_ambiguous is not None:
                found = on_ambiguous()
                if found is not None:
                    log.info("%s: the earlier attempt had succeeded; using its result", where)
                    return found
            cap = min(retry.max_delay_s, retry.base_delay_s * 2 ** (attempt - 1))
            delay = self.rng() * cap
            if retry_after is not None:
                delay = max(delay, retry_after)
            self.retries += 1
            log.warning(
                "%s: %s, retrying in %.1f s (attempt %d of %d)",
                where,
                last,
                delay,
                attempt + 1,
                retry.max_attempts,
            )
            self.sleep(delay)
        raise ApiCallError(f"{where} failed: {last}")  # pragma: no cover - loop always returns

    # ---------------------------------------------------------------- a deck

    def publish(self, plan: Plan, media: MediaSource) -> PublishResult:
        """Create (or resume) the deck of `plan`; see the module docstring for the guarantees."""
        if self.validate:
            from deckgen.render.gslides_schema import assert_valid

            assert_valid(plan)
        calls0, retries0 = self.calls, self.retries
        run = _DeckRun(self, plan, media)
        result = run.go()
        result.calls = self.calls - calls0
        result.retries = self.retries - retries0
        return result


class _DeckRun:
    """State of one deck's publication (results so far, uploaded images)."""

    def __init__(self, session: GslidesSession, plan: Plan, media: MediaSource) -> None:
        self.s = session
        self.plan = plan
        self.media = media
        self.results: dict[str, Any] = {}
        self.uploaded: list[str] = []  # media keys whose file exists in Drive
        self.cleaned: set[str] = set()
        self.leftovers: list[str] = []
        self.warnings: list[str] = []

    # ---------------------------------------------------------------- helpers

    def _list(self) -> list[Json]:
        files: list[Json] = []
        token: str | None = None
        while True:
            resp = self.s.run(find_call(self.plan.deck_key, self.s.settings, token))
            files += resp.get("files") or []
            token = resp.get("nextPageToken")
            if not token:
                return files

    @staticmethod
    def _props(f: Mapping[str, Any]) -> Mapping[str, str]:
        return f.get("appProperties") or {}

    def _url(self, f: Mapping[str, Any]) -> str:
        return str(
            f.get("webViewLink") or f"https://docs.google.com/presentation/d/{f.get('id')}/edit"
        )

    def _remove(self, file_id: str, call_id: str, *, trash: bool = False) -> bool:
        """Delete (or trash) a file; "not found" counts as done, "forbidden" falls back to trash
        (a Shared Drive content manager may trash but not delete). False if it is still there."""
        try:
            if trash:
                self.s.run(trash_call(file_id, call_id))
            else:
                self.s.run(delete_file_call(file_id, call_id))
            return True
        except ApiCallError as exc:
            if exc.status == 404:
                return True
            if exc.status == 403 and not trash:
                return self._remove(file_id, call_id.replace("delete", "trash"), trash=True)
            log.warning("could not remove file %s: %s", file_id, exc)
            return False

    def _cleanup_images(self) -> None:
        for key in self.uploaded:
            if key in self.cleaned:
                continue
            file_id = str(self.results[f"upload:{key}"]["id"])
            if f"share:{key}" in self.results:
                try:
                    self.s.run(self.plan.call(f"unshare:{key}"), self.results)
                except ApiCallError as exc:
                    if exc.status != 404:
                        log.warning("could not unshare chart image %s: %s", file_id, exc)
            if self._remove(file_id, f"delete:{key}"):
                self.cleaned.add(key)
            else:
                self.leftovers.append(file_id)

    def _adopt_copy(self) -> Any:
        for f in self._list():
            p = self._props(f)
            if (
                p.get("deckgen_role") == "deck"
                and p.get("deckgen_stage") == "in_progress"
                and p.get("deckgen_input") == self.plan.input_hash
            ):
                return f
        return None

    def _adopt_image(self, key: str) -> Any:
        for f in self._list():
            p = self._props(f)
            if p.get("deckgen_role") == "chart_image" and p.get("deckgen_media") == key:
                return {
                    "id": f["id"],
                    "webContentLink": f"https://drive.google.com/uc?id={f['id']}&export=download",
                }
        return None

    def _landed(self, required: str) -> Callable[[], Any]:
        def check() -> Any:
            pres_id = str(self.results["create"]["id"])
            now = self.s.run(revision_call(pres_id)).get("revisionId")
            return {"replies": []} if now and now != required else None

        return check

    # ---------------------------------------------------------------- flow

    def go(self) -> PublishResult:
        plan, settings = self.plan, self.s.settings
        try:
            existing = self._list()
            decks = [f for f in existing if self._props(f).get("deckgen_role") == "deck"]
            for f in existing:
                if self._props(f).get("deckgen_role") == "chart_image":
                    self._remove(str(f["id"]), "delete:stray")
            same = [f for f in decks if self._props(f).get("deckgen_input") == plan.input_hash]
            done = [f for f in same if self._props(f).get("deckgen_stage") == "complete"]
            if done:
                return PublishResult(
                    "unchanged",
                    str(done[0]["id"]),
                    self._url(done[0]),
                    str(done[0].get("name", plan.title)),
                )
            resumable = [f for f in same if self._props(f).get("deckgen_stage") != "complete"]
            others = [f for f in decks if f not in same]
            old_done = [f for f in others if self._props(f).get("deckgen_stage") == "complete"]
            if old_done and settings.on_existing == "keep":
                f = old_done[0]
                return PublishResult(
                    "kept",
                    str(f["id"]),
                    self._url(f),
                    str(f.get("name", "")),
                    warnings=[
                        "a deck from different inputs exists and "
                        "gslides.on_existing is keep: not replaced"
                    ],
                )
            for f in [*resumable[1:], *(f for f in others if f not in old_done)]:
                self._remove(str(f["id"]), "delete:stale")  # half-made, never shared with anyone
            status: Literal["created", "resumed", "replaced"] = "created"
            if resumable:
                self.results["create"] = resumable[0]
                status = "resumed"
                log.info("resuming %s from an earlier run", plan.title)
            else:
                self.results["create"] = self.s.run(
                    plan.call("create"),
                    self.results,
                    media=self.media,
                    on_ambiguous=self._adopt_copy,
                )
            inspect = self.s.run(plan.call("inspect"), self.results)
            self.results["inspect"] = inspect
            self.results["template"] = template_facts(
                inspect, settings, object_prefix=plan.object_prefix
            )
            if not self.results["template"]["content_applied"]:
                for call in plan.calls:
                    if call["phase"] != "images":
                        continue
                    key = str(call["id"]).split(":", 1)[1]
                    if call["id"].startswith("upload:"):
                        self.results[call["id"]] = self.s.run(
                            call,
                            self.results,
                            media=self.media,
                            on_ambiguous=functools.partial(self._adopt_image, key),
                        )
                        self.uploaded.append(key)
                    else:
                        self.results[call["id"]] = self.s.run(call, self.results)
                required = str(self.results["template"]["revision_id"])
                self.results["content"] = self.s.run(
                    plan.call("content"), self.results, on_conflict=self._landed(required)
                )
            self._cleanup_images()
            if any(c["id"] == "read_notes" for c in plan.calls):
                read = self.s.run(plan.call("read_notes"), self.results)
                self.results["read_notes"] = read
                self.results["notes_state"] = notes_state(read, plan.object_prefix)
                if not self.results["notes_state"]["written"]:
                    required = str(self.results["notes_state"]["revision_id"])
                    self.s.run(plan.call("notes"), self.results, on_conflict=self._landed(required))
            final = self.s.run(plan.call("finish"), self.results)
            superseded = []
            for f in old_done:
                if self._remove(str(f["id"]), "trash:superseded", trash=True):
                    superseded.append(str(f["id"]))
            if superseded and status == "created":
                status = "replaced"
            if self.leftovers:
                self.warnings.append(
                    f"{len(self.leftovers)} temporary chart image(s) could not be removed "
                    f"(unshared; the next run removes them): {', '.join(self.leftovers)}"
                )
            return PublishResult(
                status,
                str(final.get("id") or self.results["create"]["id"]),
                self._url(final if final.get("id") else self.results["create"]),
                str(final.get("name", plan.title)),
                superseded=superseded,
                leftovers=list(self.leftovers),
                warnings=self.warnings,
            )
        finally:
            try:
                self._cleanup_images()
            except PublishError as exc:  # never mask the error that got us here
                log.warning("chart image cleanup failed: %s", exc)


def execute_plan(
    plan: Plan,
    credentials: Any = None,
    *,
    media: MediaSource,
    settings: GslidesSettings | None = None,
    http: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
    session: GslidesSession | None = None,
) -> PublishResult:
    """Publish one planned deck. Pass `http` (e.g. HttpMockSequence) to run without Google.

    `media(key)` returns the bytes of a plan media key: "template" (the .pptx converted on
    upload) or a chart key of `plan.charts`. For a batch, make one `GslidesSession` and pass it,
    so every deck shares the rate limiter.
    """
    if session is None:
        session = GslidesSession(
            settings or GslidesSettings(), credentials=credentials, http=http, sleep=sleep, rng=rng
        )
    return session.publish(plan, media)
