"""`deckgen send` against a real SMTP server on loopback (aiosmtpd), with the sample book.

The sample book's smb and tech_touch emails are rendered once, then each test sends a fresh copy
of that folder and parses what arrived: parts, CID images, subjects, recipients, hostile names;
a second send delivers nothing; a send killed mid-transaction resumes without a duplicate.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import date
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from deckgen.errors import ConfigError
from deckgen.metrics.results import AccountMetrics
from deckgen.pipeline import Prepared, prepare
from deckgen.render.email import render_email_files
from deckgen.send import LEDGER, send_outbox

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "book"
AS_OF = date(2026, 11, 28)
SENDER = "qbr@example.com"
HOSTILE = '<script>alert(1)</script> & "Co" {{ 7*7 }}\r\nBcc: evil@example.com'
TIERS = ("tech_touch", "smb")


# --------------------------------------------------------------------------- the SMTP server


class Collector:
    """aiosmtpd handler that keeps every envelope; `on_data` can refuse or interrupt."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.lock = threading.Lock()
        self.on_data: Callable[[Any, int], str | None] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            hook = self.on_data(envelope, len(self.envelopes) + 1) if self.on_data else None
            if hook is not None and hook.startswith("5"):
                return hook
            self.envelopes.append(envelope)
        return "250 OK: queued"

    def messages(self) -> list[EmailMessage]:
        out = []
        for env in self.envelopes:
            msg = BytesParser(policy=policy.default).parsebytes(env.content)
            assert isinstance(msg, EmailMessage)
            out.append(msg)
        return out


def free_port() -> int:
    """aiosmtpd's Controller(port=0) fails (it connects to itself on start): pick a port first."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    from aiosmtpd.controller import Controller

    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


# --------------------------------------------------------------------------- the outbox


@dataclasses.dataclass
class Outbox:
    folder: Path
    sendable: dict[str, AccountMetrics]  # account id -> metrics, for accounts with a recipient
    review: list[str]
    no_recipient: list[str]


def _hostile(m: AccountMetrics) -> AccountMetrics:
    facts = dataclasses.replace(
        m.facts, name=HOSTILE, champion_name=HOSTILE, champion_email="hostile.champion@example.org"
    )
    return dataclasses.replace(m, account_id="A-HOSTILE", name=HOSTILE, facts=facts)


@pytest.fixture(scope="module")
def prepared() -> Prepared:
    return prepare(SAMPLE, as_of=AS_OF)


@pytest.fixture(scope="module")
def rendered_outbox(prepared: Prepared, tmp_path_factory: pytest.TempPathFactory) -> Outbox:
    """Every email the batch would write for the smb and tech_touch tiers, plus one account
    whose name and champion are hostile."""
    folder = tmp_path_factory.mktemp("outbox")
    chosen = [
        m
        for m in prepared.metrics
        if m.tier in TIERS and m.status in ("ok", "review") and not m.facts.onboarding
    ]
    assert len(chosen) >= 20
    chosen.append(_hostile(next(m for m in chosen if m.status == "ok")))
    box = Outbox(folder, {}, [], [])
    for m in chosen:
        review = m.status == "review"
        files = render_email_files(prepared, m, folder / "review" if review else folder)
        if review:
            box.review.append(m.account_id)
        elif files[0].adjustments:
            box.no_recipient.append(m.account_id)
        else:
            box.sendable[m.account_id] = m
    assert box.sendable and box.review
    return box


@pytest.fixture
def outbox(rendered_outbox: Outbox, tmp_path: Path) -> Outbox:
    """A fresh copy (no ledger) for each test."""
    copy = tmp_path / "out"
    shutil.copytree(rendered_outbox.folder, copy)
    return dataclasses.replace(rendered_outbox, folder=copy)


def ledger_lines(folder: Path) -> list[str]:
    return (folder / LEDGER).read_text(encoding="utf-8").splitlines()


# --------------------------------------------------------------------------- tests


def test_delivers_each_email_once_with_parts_cids_subjects_and_recipients(
    smtp: tuple[Collector, int], outbox: Outbox
) -> None:
    handler, port = smtp
    report = send_outbox(outbox.folder, "127.0.0.1", port, f"Customer Success <{SENDER}>")
    assert report.exit_code == 0, "\n".join(report.lines())
    assert report.counts["sent"] == len(outbox.sendable)
    assert len(handler.envelopes) == len(outbox.sendable)

    by_account = {m.facts.champion_email: m for m in outbox.sendable.values()}
    seen_ids = set()
    for env, msg in zip(handler.envelopes, handler.messages(), strict=True):
        assert env.mail_from == SENDER
        assert len(env.rcpt_tos) == 1
        m = by_account[env.rcpt_tos[0]]
        # headers
        assert msg["Subject"] == f"Your Q3 2026 business review – {' '.join(m.name.split())}"
        to = msg["To"].addresses
        assert len(to) == 1 and to[0].addr_spec == m.facts.champion_email
        assert to[0].display_name == " ".join((m.facts.champion_name or "").split())
        assert msg["From"].addresses[0].addr_spec == SENDER
        assert msg["Bcc"] is None
        assert not [k for k in msg if k.lower().startswith("x-deckgen")]
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert msg["Message-ID"] not in seen_ids
        seen_ids.add(msg["Message-ID"])
        # parts
        assert msg.get_content_type() == "multipart/alternative"
        plain, related = list(msg.iter_parts())
        assert plain.get_content_type() == "text/plain"
        assert related.get_content_type() == "multipart/related"
        html_part, *images = list(related.iter_parts())
        assert html_part.get_content_type() == "text/html"
        html = html_part.get_content()
        assert len(html.encode("utf-8")) < 90 * 1024
        cids = {str(p["Content-ID"]).strip("<>") for p in images}
        refs = set(_cid_refs(html))
        assert refs and refs == cids  # every cid: resolves, no orphan image
        assert all(p.get_content_type() == "image/png" for p in images)
        if m.account_id == "A-HOSTILE":
            assert "<script>" not in html and "&lt;script&gt;" in html
            assert "{{ 7*7 }}" in html
            assert to[0].display_name == " ".join(HOSTILE.split())

    assert {a for a in outbox.sendable} >= {"A-0008", "A-0029", "A-HOSTILE"}
    skipped = {it.account_id: it.detail for it in report.items if it.status == "skipped"}
    for acct in outbox.review:
        assert "manager review" in skipped[acct]


def _cid_refs(html: str) -> list[str]:
    import re

    return re.findall(r'src="cid:([^"]+)"', html)


def test_second_send_delivers_nothing_new(smtp: tuple[Collector, int], outbox: Outbox) -> None:
    handler, port = smtp
    first = send_outbox(outbox.folder, "127.0.0.1", port, SENDER)
    assert first.exit_code == 0
    delivered = len(handler.envelopes)
    second = send_outbox(outbox.folder, "127.0.0.1", port, SENDER)
    assert len(handler.envelopes) == delivered
    assert second.exit_code == 0
    assert "sent" not in second.counts
    already = [it for it in second.items if it.detail.startswith("already sent")]
    assert len(already) == len(outbox.sendable)


def test_dry_run_sends_and_records_nothing(smtp: tuple[Collector, int], outbox: Outbox) -> None:
    handler, port = smtp
    report = send_outbox(outbox.folder, "127.0.0.1", port, SENDER, dry_run=True)
    assert report.counts["would_send"] == len(outbox.sendable)
    assert handler.envelopes == []
    assert not (outbox.folder / LEDGER).exists() or ledger_lines(outbox.folder) == []


def test_a_send_killed_midway_resumes_without_a_duplicate(
    smtp: tuple[Collector, int], outbox: Outbox
) -> None:
    """The sender is killed while the server holds the 5th message (it arrived, the sender
    never heard "250"): the ledger says "sending" for it, so the next run reports it as
    unknown instead of sending it again, and sends the rest."""
    handler, port = smtp
    kill_at = 5
    script = (
        "import sys; from pathlib import Path; from deckgen.send import send_outbox; "
        "send_outbox(Path(sys.argv[1]), '127.0.0.1', int(sys.argv[2]), sys.argv[3])"
    )
    senders: list[subprocess.Popen[bytes]] = []

    def kill_sender(envelope: Any, n: int) -> str | None:
        if n == kill_at:
            os.kill(senders[0].pid, signal.SIGKILL)
        return None

    handler.on_data = kill_sender
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(outbox.folder), str(port), SENDER],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    senders.append(proc)
    proc.wait(timeout=120)
    handler.on_data = None
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    assert len(handler.envelopes) == kill_at
    states = [line for line in ledger_lines(outbox.folder) if '"sending"' in line]
    assert len(states) == kill_at

    resumed = send_outbox(outbox.folder, "127.0.0.1", port, SENDER)
    unknown = [it for it in resumed.items if it.status == "unknown"]
    assert len(unknown) == 1 and "--retry-unknown" in unknown[0].detail
    assert resumed.exit_code == 1  # a human has to check the unknown one
    recipients = [env.rcpt_tos[0] for env in handler.envelopes]
    assert len(recipients) == len(set(recipients)) == len(outbox.sendable)  # once each

    # "sending" is still reported, and still not resent, on every later run
    again = send_outbox(outbox.folder, "127.0.0.1", port, SENDER)
    still = [it.account_id for it in again.items if it.status == "unknown"]
    assert still == [unknown[0].account_id]
    assert len(handler.envelopes) == len(outbox.sendable)

    # after checking the server's log, the operator may choose to resend it
    retried = send_outbox(outbox.folder, "127.0.0.1", port, SENDER, retry_unknown=True)
    assert [it.account_id for it in retried.items if it.status == "sent"] == [unknown[0].account_id]


def test_refused_message_is_failed_and_retried_next_run(
    smtp: tuple[Collector, int], outbox: Outbox
) -> None:
    handler, port = smtp
    victim = outbox.sendable["A-0029"].facts.champion_email
    handler.on_data = lambda env, n: "550 mailbox unavailable" if victim in env.rcpt_tos else None
    first = send_outbox(outbox.folder, "127.0.0.1", port, SENDER)
    failed = [it for it in first.items if it.status == "failed"]
    assert [it.account_id for it in failed] == ["A-0029"]
    assert "550" in failed[0].detail and first.exit_code == 1
    handler.on_data = None
    second = send_outbox(outbox.folder, "127.0.0.1", port, SENDER)
    assert [it.account_id for it in second.items if it.status == "sent"] == ["A-0029"]
    assert second.exit_code == 0
    recipients = [env.rcpt_tos[0] for env in handler.envelopes]
    assert len(recipients) == len(set(recipients)) == len(outbox.sendable)


def test_rate_limit_spaces_messages(smtp: tuple[Collector, int], outbox: Outbox) -> None:
    _, port = smtp
    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    report = send_outbox(
        outbox.folder,
        "127.0.0.1",
        port,
        SENDER,
        rate_per_min=120,
        sleep=sleep,
        clock=lambda: now[0],
    )
    assert report.counts["sent"] == len(outbox.sendable)
    assert len(waits) == len(outbox.sendable) - 1
    assert all(abs(w - 0.5) < 1e-9 for w in waits)


def test_password_comes_from_the_environment_and_is_never_shown(
    smtp: tuple[Collector, int], outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, port = smtp
    monkeypatch.delenv("DECKGEN_SMTP_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="DECKGEN_SMTP_PASSWORD"):
        send_outbox(outbox.folder, "127.0.0.1", port, SENDER, user="ops")
    monkeypatch.setenv("DECKGEN_SMTP_PASSWORD", "s3cret-pw")
    with pytest.raises(ConfigError, match="--starttls"):
        send_outbox(outbox.folder, "smtp.example.com", 587, SENDER, user="ops")
    # aiosmtpd offers no AUTH without TLS: the login is refused, reported without the secret
    report = send_outbox(outbox.folder, "127.0.0.1", port, SENDER, user="ops")
    assert report.exit_code == 1 and "SMTP login as 'ops'" in (report.error or "")
    text = "\n".join(report.lines())
    assert "s3cret-pw" not in text
    assert "s3cret-pw" not in (outbox.folder / LEDGER).read_text(encoding="utf-8")


def test_without_a_server_every_message_fails_cleanly(outbox: Outbox) -> None:
    report = send_outbox(outbox.folder, "127.0.0.1", free_port(), SENDER, timeout=2)
    assert report.exit_code == 1
    assert "cannot connect" in (report.error or "")
    assert report.counts.get("failed") == len(outbox.sendable)
    # nothing was attempted, so nothing is left "sending"
    assert not (outbox.folder / LEDGER).exists() or '"sending"' not in (
        outbox.folder / LEDGER
    ).read_text(encoding="utf-8")
