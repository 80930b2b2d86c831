"""The plan executor end to end over `HttpMockSequence`: no network, no real sleeping.

Every call the executor resolves is also checked against the discovery schemas, so what would
go over the wire (not just the plan) is valid.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from deckgen.charting.style import ChartStyle, load_style
from deckgen.errors import PublishError
from deckgen.render.gslides import chart_media
from deckgen.render.gslides_client import (
    ApiCallError,
    GslidesSession,
    PublishResult,
    RateLimiter,
    _retry_after,
)
from deckgen.render.gslides_requests import (
    GslidesSettings,
    Plan,
    RateLimits,
    RetrySettings,
    build_plan,
)
from deckgen.render.gslides_schema import validate_call
from tests.unit.render.test_gslides_fixtures import (
    RaisingHttp,
    cleanup_responses,
    deck_file,
    enterprise_deck,
    error,
    executive_deck,
    fake_png,
    happy_responses,
    inspect_body,
    notes_body,
    ok,
    requests_log,
    tail_responses,
    upload_responses,
)

SETTINGS = replace(
    GslidesSettings(),
    retry=RetrySettings(max_attempts=3, base_delay_s=1.0, max_delay_s=8.0, max_retry_after_s=60.0),
)


@pytest.fixture(scope="module")
def style() -> ChartStyle:
    return load_style()


class Harness:
    """A session over a mock HTTP sequence that records sleeps and validates every call."""

    def __init__(self, responses: list[Any], settings: GslidesSettings = SETTINGS) -> None:
        self.http = RaisingHttp(list(responses))
        self.sleeps: list[float] = []  # retry backoff
        self.paced: list[float] = []  # rate limiter
        self.sent: list[dict[str, Any]] = []
        self.clock = 0.0
        limiter = RateLimiter(settings.rate, clock=lambda: self.clock, sleep=self._pace)
        self.session = GslidesSession(
            settings,
            http=self.http,
            sleep=self._sleep,
            rng=lambda: 1.0,
            limiter=limiter,
            on_call=self._record,
        )

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock += seconds

    def _pace(self, seconds: float) -> None:
        self.paced.append(seconds)
        self.clock += seconds

    def _record(self, call: dict[str, Any]) -> None:
        assert validate_call(call) == [], call["id"]
        self.sent.append(call)

    def publish(self, plan: Plan) -> PublishResult:
        media = chart_media(plan, load_style(), renderer=fake_png)
        return self.session.publish(plan, media)

    def ids(self) -> list[str]:
        return [c["id"] for c in self.sent]

    def done(self) -> bool:
        return not self.http._iterable


def _plan(style: ChartStyle, deck: Any = None, settings: GslidesSettings = SETTINGS) -> Plan:
    return build_plan(deck or executive_deck(), settings, style)


def _bodies(h: Harness) -> list[Any]:
    out = []
    for _, _, body, _ in h.http.request_sequence:
        if isinstance(body, (bytes, str)) and body[:1] in (b"{", "{"):
            out.append(json.loads(body))
    return out


# --------------------------------------------------------------------------- happy path


def test_full_flow_creates_one_deck_and_removes_the_images(style: ChartStyle) -> None:
    plan = _plan(style, enterprise_deck())
    h = Harness(happy_responses(plan))
    result = h.publish(plan)
    assert h.done()
    assert result.status == "created"
    assert result.presentation_id == "pres-1"
    assert result.url == "https://docs.google.com/presentation/d/pres-1/edit"
    assert result.retries == 0 and h.sleeps == [] and result.leftovers == []
    log = requests_log(h.http)
    assert log[0] == ("GET", "/drive/v3/files")
    assert log[1] == ("POST", "/upload/drive/v3/files")  # the .pptx template, converted
    assert sum(1 for m, p in log if p.endswith(":batchUpdate")) == 2
    for key in plan.charts:
        assert ("DELETE", f"/drive/v3/files/img-{key}/permissions/anyoneWithLink") in log
        assert ("DELETE", f"/drive/v3/files/img-{key}") in log
    assert log[-1] == ("PATCH", "/drive/v3/files/pres-1")
    # the content batch went out resolved: real layout ids, image URLs and revision guard
    content = next(c for c in h.sent if c["id"] == "content")
    assert content["body"]["writeControl"] == {"requiredRevisionId": "rev-1"}
    images = [r["createImage"]["url"] for r in content["body"]["requests"] if "createImage" in r]
    assert images == [
        f"https://drive.google.com/uc?id=img-{k}&export=download" for k in plan.charts
    ]
    notes = next(c for c in h.sent if c["id"] == "notes")
    assert notes["body"]["writeControl"] == {"requiredRevisionId": "rev-2"}
    # uploads carried the right bytes: the template and each chart PNG
    raw = b"".join(
        b if isinstance(b, bytes) else str(b).encode()
        for _, _, b, _ in h.http.request_sequence
        if b
    )
    assert b"\x89PNG" in raw


def test_template_copy_variant(style: ChartStyle) -> None:
    settings = replace(SETTINGS, template_id="1Tmpl", folder_id="0Fold", shared_drive_id="0D")
    plan = _plan(style, settings=settings)
    h = Harness(happy_responses(plan), settings)
    assert h.publish(plan).status == "created"
    assert requests_log(h.http)[1] == ("POST", "/drive/v3/files/1Tmpl/copy")
    assert "supportsAllDrives=true" in h.http.request_sequence[1][0]


# --------------------------------------------------------------------------- retries


def test_429_with_retry_after_then_success(style: ChartStyle) -> None:
    plan = _plan(style)
    r = happy_responses(plan)
    at = 3 + 2 * len(plan.charts)  # the content batch
    r.insert(at, error(429, "rateLimitExceeded", **{"retry-after": "7"}))
    h = Harness(r)
    result = h.publish(plan)
    assert h.done() and result.status == "created"
    assert result.retries == 1
    assert 7.0 in h.sleeps  # honoured, although the jittered backoff alone would be 1 s
    assert h.ids().count("content") == 1  # resolved once, sent twice


def test_rate_limit_403_is_retried_but_other_403_fails_at_once(style: ChartStyle) -> None:
    plan = _plan(style)
    r = happy_responses(plan)
    r.insert(3, error(403, "userRateLimitExceeded"))  # first chart upload
    h = Harness(r)
    assert h.publish(plan).status == "created"
    assert len(h.sleeps) == 1 and h.done()

    h2 = Harness(
        [
            ok({"files": []}),
            error(
                403, "insufficientFilePermissions", "The user does not have sufficient permissions"
            ),
        ]
    )
    with pytest.raises(
        PublishError,
        match=r"create \(drive.files.create\) failed: HTTP 403 "
        r"insufficientFilePermissions",
    ):
        h2.publish(plan)
    assert h2.sleeps == [] and h2.done()


def test_500_storm_gives_up_cleanly_and_removes_images(style: ChartStyle) -> None:
    plan = _plan(style, enterprise_deck())
    r = [
        ok({"files": []}),
        ok({"id": "pres-1"}),
        ok(inspect_body(plan)),
        *upload_responses(plan),
        *[error(500) for _ in range(SETTINGS.retry.max_attempts)],
        *cleanup_responses(plan),
    ]
    h = Harness(r)
    with pytest.raises(PublishError) as exc:
        h.publish(plan)
    assert "content (slides.presentations.batchUpdate) failed after 3 attempts: HTTP 500" in str(
        exc.value
    )
    assert h.done()  # every image was unshared and deleted after the failure
    assert h.sleeps == [1.0, 2.0]  # capped exponential backoff (rng=1.0 -> the cap)
    log = requests_log(h.http)
    assert log[-4:] == [
        ("DELETE", f"/drive/v3/files/img-{k}{tail}")
        for k in plan.charts
        for tail in ("/permissions/anyoneWithLink", "")
    ]


def test_backoff_is_capped_with_full_jitter(style: ChartStyle) -> None:
    settings = replace(
        SETTINGS, retry=RetrySettings(max_attempts=7, base_delay_s=1.0, max_delay_s=8.0)
    )
    plan = _plan(style)
    h = Harness([ok({"files": []}), *[error(429)] * 7], settings)
    h.session.rng = lambda: 0.5
    with pytest.raises(PublishError, match="after 7 attempts"):
        h.publish(plan)
    assert h.sleeps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_retry_after_beyond_the_limit_fails_instead_of_waiting(style: ChartStyle) -> None:
    plan = _plan(style)
    h = Harness([ok({"files": []}), error(429, **{"retry-after": "3600"})])
    with pytest.raises(PublishError, match="asked to wait 3600 s"):
        h.publish(plan)
    assert h.sleeps == []


def test_retry_after_http_date() -> None:
    assert _retry_after(
        {"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"}, now=lambda: 1445412500.0
    ) == pytest.approx(10.0)
    assert _retry_after({}) is None


# --------------------------------------------------------------------------- never a duplicate


def test_failure_mid_batch_then_rerun_resumes_the_tagged_copy(style: ChartStyle) -> None:
    plan = _plan(style, enterprise_deck())
    first = [
        ok({"files": []}),
        ok({"id": "pres-1", "name": "x"}),
        ok(inspect_body(plan)),
        *upload_responses(plan),
        error(400, "badRequest", "Invalid requests[42].insertText"),
        *cleanup_responses(plan),
    ]
    h1 = Harness(first)
    with pytest.raises(
        ApiCallError,
        match=r"content \(slides.presentations.batchUpdate\) "
        r"failed: HTTP 400",
    ):
        h1.publish(plan)
    assert h1.done() and h1.sleeps == []

    # Re-run: the listing finds the tagged copy (same inputs, in progress) -> no new copy.
    tagged = deck_file(plan, "pres-1", stage="in_progress")
    second = [
        ok({"files": [tagged]}),
        ok(inspect_body(plan)),
        *upload_responses(plan),
        ok({"replies": []}),
        *tail_responses(plan),
    ]
    h2 = Harness(second)
    result = h2.publish(plan)
    assert h2.done()
    assert result.status == "resumed" and result.presentation_id == "pres-1"
    assert "create" not in h2.ids()
    uploads = [p for _, p in requests_log(h2.http) if p == "/upload/drive/v3/files"]
    assert len(uploads) == len(plan.charts)  # chart images only: no second presentation


def test_rerun_after_content_landed_skips_to_notes(style: ChartStyle) -> None:
    plan = _plan(style)
    tagged = deck_file(plan, "pres-1", stage="in_progress")
    r = [
        ok({"files": [tagged]}),
        ok(inspect_body(plan, applied=True)),
        ok(notes_body(plan, written=True)),
        ok({"id": "pres-1", "webViewLink": "https://docs.google.com/presentation/d/pres-1/edit"}),
    ]
    h = Harness(r)
    result = h.publish(plan)
    assert h.done() and result.status == "resumed"
    assert h.ids() == ["find", "inspect", "read_notes", "finish"]  # no uploads, no batches


def test_unchanged_deck_is_not_touched(style: ChartStyle) -> None:
    plan = _plan(style)
    h = Harness([ok({"files": [deck_file(plan, "pres-9", stage="complete")]})])
    result = h.publish(plan)
    assert result.status == "unchanged" and result.presentation_id == "pres-9"
    assert h.ids() == ["find"] and h.done()


def test_changed_inputs_replace_the_old_deck_after_the_new_one_is_done(style: ChartStyle) -> None:
    plan = _plan(style)
    old = deck_file(plan, "pres-old", stage="complete", input_hash="0" * 64)
    r = [*happy_responses(plan, "pres-new", found=[old]), ok({"id": "pres-old"})]
    h = Harness(r)
    result = h.publish(plan)
    assert h.done()
    assert result.status == "replaced" and result.superseded == ["pres-old"]
    assert h.sent[-1]["method"] == "drive.files.update"
    assert h.sent[-1]["body"] == {"trashed": True}
    assert h.sent[-1]["params"]["fileId"] == "pres-old"

    keep = replace(SETTINGS, on_existing="keep")
    h2 = Harness([ok({"files": [old]})], keep)
    result = h2.publish(_plan(style, settings=keep))
    assert result.status == "kept" and result.presentation_id == "pres-old"


def test_stale_half_made_copies_and_stray_images_are_removed_first(style: ChartStyle) -> None:
    plan = _plan(style)
    stale = deck_file(plan, "pres-stale", stage="in_progress", input_hash="1" * 64)
    stray = {
        "id": "img-stray",
        "appProperties": {"deckgen_key": plan.deck_key, "deckgen_role": "chart_image"},
    }
    r = [
        ok({"files": [stale, stray]}),
        ({"status": "204"}, ""),
        ({"status": "204"}, ""),
        *happy_responses(plan)[1:],
    ]
    h = Harness(r)
    assert h.publish(plan).status == "created"
    assert h.done()
    log = requests_log(h.http)
    assert log[1:3] == [
        ("DELETE", "/drive/v3/files/img-stray"),
        ("DELETE", "/drive/v3/files/pres-stale"),
    ]


def test_copy_with_unknown_outcome_is_looked_up_not_repeated(style: ChartStyle) -> None:
    settings = replace(SETTINGS, template_id="1Tmpl")
    plan = _plan(style, settings=settings)
    made = deck_file(plan, "pres-1", stage="in_progress")
    r = happy_responses(plan, found=[])
    r[1:2] = [error(503), ok({"files": [made]})]  # copy -> 503; lookup finds it
    h = Harness(r, settings)
    result = h.publish(plan)
    assert h.done() and result.status == "created" and result.presentation_id == "pres-1"
    assert sum(p.endswith("/copy") for _, p in requests_log(h.http)) == 1


def test_dropped_connection_on_upload_adopts_the_uploaded_image(style: ChartStyle) -> None:
    plan = _plan(style)
    (key,) = plan.charts
    r = happy_responses(plan)
    uploaded = {
        "id": f"img-{key}",
        "appProperties": {
            "deckgen_key": plan.deck_key,
            "deckgen_role": "chart_image",
            "deckgen_media": key,
        },
    }
    r[3:4] = [TimeoutError("timed out"), ok({"files": [uploaded]})]  # type: ignore[list-item]
    h = Harness(r)
    assert h.publish(plan).status == "created"
    assert h.done()
    assert sum(p == "/upload/drive/v3/files" for _, p in requests_log(h.http)) == 2  # pptx + 1


def test_batch_retry_refused_after_it_had_landed_counts_as_applied(style: ChartStyle) -> None:
    plan = _plan(style)
    r = happy_responses(plan)
    at = 3 + 2 * len(plan.charts)
    r[at : at + 1] = [
        error(502),  # the batch was applied but the answer got lost
        error(400, "failedPrecondition", "Revision mismatch"),
        ok({"revisionId": "rev-1b"}),
    ]  # revision moved on: it landed
    h = Harness(r)
    assert h.publish(plan).status == "created"
    assert h.done()


def test_shared_drive_content_manager_trashes_instead_of_deleting(style: ChartStyle) -> None:
    plan = _plan(style)
    r = happy_responses(plan)
    at = 4 + 2 * len(plan.charts)
    r[at + 1 : at + 2] = [error(403, "insufficientFilePermissions"), ok({"id": "img"})]
    h = Harness(r)
    result = h.publish(plan)
    assert h.done() and result.leftovers == []
    trash = [c for c in h.sent if c["id"].startswith("trash:")]
    assert trash and trash[0]["body"] == {"trashed": True}


# --------------------------------------------------------------------------- hostile names


def test_hostile_names_go_over_the_wire_literally(style: ChartStyle) -> None:
    name = '{{arr}} "}]} <script>x</script>\nCo'
    plan = _plan(style, executive_deck(name=name))
    h = Harness(happy_responses(plan))
    h.publish(plan)
    bodies = _bodies(h)
    batch = next(
        b for b in bodies if "requests" in b and any("createSlide" in r for r in b["requests"])
    )
    texts = [r["insertText"]["text"] for r in batch["requests"] if "insertText" in r]
    assert any(name in t for t in texts)
    assert not any("replaceAllText" in r for r in batch["requests"])
    benign = _plan(style, executive_deck())
    assert len(batch["requests"]) == len(resolve_count(benign))


def resolve_count(plan: Plan) -> list[Any]:
    from deckgen.render.gslides_requests import fake_results, resolve

    return list(
        resolve(plan.call("content"), fake_results(plan, template_slides=2))["body"]["requests"]
    )


# --------------------------------------------------------------------------- rate limiter


def test_token_bucket_paces_writes_under_the_quota() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(
        RateLimits(slides_writes_per_minute=50, burst=5), clock=lambda: now[0], sleep=sleep
    )
    for _ in range(5):
        assert limiter.acquire("slides_write") == 0.0
    assert limiter.acquire("slides_write") == pytest.approx(1.2)
    for _ in range(50):
        limiter.acquire("slides_write")
    assert now[0] == pytest.approx(61.2)  # 56 calls: 5 free, then one per 1.2 s
    assert limiter.acquire("drive") == 0.0  # separate budget
    limiter.penalize("drive")
    assert limiter.acquire("drive") == pytest.approx(0.5)  # 120/min after a 429
    assert RateLimiter.bucket_for("slides.presentations.get") == "slides_read"
    assert RateLimiter.bucket_for("slides.presentations.batchUpdate") == "slides_write"
    assert RateLimiter.bucket_for("drive.files.copy") == "drive"


def test_no_credentials_and_no_http_is_a_clear_error() -> None:
    with pytest.raises(PublishError, match="deckgen auth login"):
        GslidesSession(SETTINGS)


def test_mock_sequence_exhaustion_is_not_silently_ignored(style: ChartStyle) -> None:
    plan = _plan(style)
    h = Harness([ok({"files": []})])
    with pytest.raises(IndexError):
        h.publish(plan)


def test_import_template_uploads_the_pptx_converted(tmp_path: Any) -> None:
    from deckgen.render.gslides import import_template

    pptx = tmp_path / "brand.pptx"
    pptx.write_bytes(b"PK-brand-template")
    settings = replace(SETTINGS, folder_id="0Fold")
    h = Harness([ok({"id": "1NewTemplate"})], settings)
    assert import_template(pptx, h.session) == "1NewTemplate"
    (call,) = h.sent
    assert call["body"]["mimeType"] == "application/vnd.google-apps.presentation"
    assert call["body"]["parents"] == ["0Fold"]
    uri, method, body, _ = h.http.request_sequence[0]
    assert method == "POST" and "/upload/drive/v3/files" in uri
    assert b"PK-brand-template" in (body if isinstance(body, bytes) else body.encode())
