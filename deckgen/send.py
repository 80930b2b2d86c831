"""`deckgen send`: deliver rendered QBR emails over SMTP, at most once per account and quarter.

Why it is built this way:

* A ledger (`OUTDIR/.deckgen/send-ledger.jsonl`, append-only, one JSON object a line) records
  each message's state, keyed by account and quarter. "sending" is written and fsynced
  *before* the SMTP transaction and "sent" after the server accepts it. A crash in between
  leaves "sending": the message may or may not have been delivered, so a later run reports it
  as unknown and does not send it again unless told to (`retry_unknown`). A customer getting
  nothing is fixable with one command; a customer getting the same review twice is not.
* The envelope is built by hand (MAIL, RCPT, DATA) so that a failure before DATA, which
  certainly delivered nothing, is recorded as "failed" (retried next run), and only a failure
  during or after DATA is "unknown".
* One recipient per message, the To header of the rendered .eml, passed explicitly as the
  envelope recipient; internal `X-Deckgen-*` headers are removed before a message leaves.
* The password comes from an environment variable and is never logged, printed or stored;
  it is refused over an unencrypted connection to anything but the local machine.
* An advisory lock on the ledger stops two runs on one folder from racing each other.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from deckgen.errors import ConfigError, PublishError
from deckgen.render.email_message import (
    H_ACCOUNT,
    H_HOLD,
    H_QUARTER,
    INTERNAL_HEADERS,
    address,
    valid_address,
)

LEDGER = ".deckgen/send-ledger.jsonl"
LOCK = ".deckgen/send.lock"
DEFAULT_PASSWORD_ENV = "DECKGEN_SMTP_PASSWORD"

Status = Literal["sent", "would_send", "skipped", "failed", "unknown"]


@dataclass(frozen=True)
class SendItem:
    """What happened to one message in this run."""

    path: Path
    account_id: str
    quarter: str
    to: str | None
    subject: str
    status: Status
    detail: str = ""


@dataclass
class SendReport:
    """The per-recipient outcome of a run; `exit_code` is 1 if anything needs a human."""

    items: list[SendItem] = field(default_factory=list)
    dry_run: bool = False
    error: str | None = None  # a run-level failure (connection, login), also on each item

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for it in self.items:
            out[it.status] = out.get(it.status, 0) + 1
        return out

    @property
    def exit_code(self) -> int:
        """1 when a message failed or its delivery is unknown; skipped ones are fine."""
        return (
            1 if self.error or any(it.status in ("failed", "unknown") for it in self.items) else 0
        )

    def lines(self) -> list[str]:
        """One line per message, then a summary: the command's output."""
        out = []
        for it in self.items:
            who = it.to or "(no recipient)"
            tail = f"  {it.detail}" if it.detail else ""
            out.append(f"{it.status:<10} {it.account_id:<12} {who}{tail}")
        summary = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(self.counts.items()))
        out.append(("dry run: " if self.dry_run else "") + (summary or "nothing to send"))
        if self.error:
            out.append(f"error: {self.error}")
        return out


# --------------------------------------------------------------------------- the outbox


@dataclass(frozen=True)
class OutboxEntry:
    path: Path
    review: bool  # in the manager-review queue (Red account): not sent without approval


def find_outbox(out_dir: Path) -> list[OutboxEntry]:
    """The .eml files of a batch or `deckgen email` folder, in a stable order.

    With a manifest.json (a batch), exactly the files its records list with kind "email": a
    stale .eml left from an earlier run (an account since put on hold, say) is never picked
    up. Without one, the folder's *.eml and review/*.eml.
    """
    manifest = out_dir / "manifest.json"
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PublishError(f"{manifest}: cannot read the batch manifest: {exc}") from exc
        entries = []
        for record in data.get("accounts", []):
            for f in record.get("files", []):
                if f.get("kind") == "email":
                    path = (out_dir / str(f["path"])).resolve()
                    if out_dir.resolve() not in path.parents:
                        raise PublishError(f"{manifest}: file outside the folder: {f['path']}")
                    entries.append(OutboxEntry(path, record.get("status") == "review"))
        return entries
    found = [OutboxEntry(p, False) for p in sorted(out_dir.glob("*.eml"))]
    found += [OutboxEntry(p, True) for p in sorted((out_dir / "review").glob("*.eml"))]
    return found


def read_message(path: Path) -> EmailMessage:
    with open(path, "rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh)
    assert isinstance(msg, EmailMessage)
    return msg


def ledger_key(msg: EmailMessage, path: Path) -> tuple[str, str, str]:
    """(key, account_id, quarter): "account|quarter" from the internal headers, else the
    Message-ID (which deckgen derives from account and quarter too)."""
    account = str(msg.get(H_ACCOUNT, "") or "").strip()
    quarter = str(msg.get(H_QUARTER, "") or "").strip()
    if account and quarter:
        return f"{account}|{quarter}", account, quarter
    mid = str(msg.get("Message-ID", "") or "").strip()
    if not mid:
        raise PublishError(f"{path}: no Message-ID and no deckgen headers: not a deckgen email")
    return mid, account or path.stem, quarter


# --------------------------------------------------------------------------- the ledger


class SendLedger:
    """Append-only JSON lines; the last line for a key is its state. Torn lines are ignored
    (a crash mid-write happens before the SMTP transaction it would have announced)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.state: dict[str, dict[str, Any]] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    self.state[str(entry["key"])] = entry
                except (ValueError, KeyError, TypeError):
                    continue
        self._fh: Any = None

    def __enter__(self) -> SendLedger:
        new = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")  # closed in __exit__
        if not new and self.path.stat().st_size and not self._ends_with_newline():
            self._fh.write("\n")  # a torn last line from a crash: never glue a record onto it
            self._fh.flush()
        if new:
            _fsync_dir(self.path.parent)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"

    def get(self, key: str) -> dict[str, Any] | None:
        return self.state.get(key)

    def record(self, key: str, status: str, **extra: Any) -> None:
        """Append one state change and make it durable before returning."""
        entry = {"key": key, "status": status, "at": _now_iso(), **extra}
        assert self._fh is not None, "use the ledger as a context manager"
        self._fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.state[key] = entry


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not possible on every platform; best effort
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    """Hold an advisory lock on the folder's send state for the whole run."""
    lock_path = out_dir / LOCK
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks, run one at a time
            yield
            return
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishError(
                f"another `deckgen send` is running on {out_dir}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------- sending


class _Connection:
    """A lazily opened SMTP session: nothing connects until a message is due to go out."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        starttls: bool,
        user: str | None,
        password: str | None,
        timeout: float,
        factory: Callable[..., smtplib.SMTP],
    ) -> None:
        self.host, self.port = host, port
        self.starttls, self.user, self._password = starttls, user, password
        self.timeout, self.factory = timeout, factory
        self.smtp: smtplib.SMTP | None = None

    def ready(self) -> smtplib.SMTP:
        """An open, greeted (and authenticated) session; reconnects when the old one died."""
        if self.smtp is not None:
            try:
                code, _ = self.smtp.noop()
                if code == 250:
                    return self.smtp
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        try:
            smtp = self.factory(self.host, self.port, timeout=self.timeout)
            smtp.ehlo_or_helo_if_needed()
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
        except (smtplib.SMTPException, OSError) as exc:
            raise PublishError(
                f"cannot connect to SMTP server {self.host}:{self.port}: {_exc(exc)}"
            ) from None
        if self.user:
            try:
                smtp.login(self.user, self._password or "")
            except (smtplib.SMTPException, OSError) as exc:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    smtp.close()
                # The server's reply, never the password (smtplib's messages do not hold it).
                raise PublishError(
                    f"SMTP login as {self.user!r} on {self.host}:{self.port} failed: {_exc(exc)}"
                ) from None
        self.smtp = smtp
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            with contextlib.suppress(OSError):
                self.smtp.close()
            self.smtp = None


def _deliver(smtp: smtplib.SMTP, sender: str, to: str, data: bytes) -> tuple[Status, str]:
    """MAIL, RCPT, DATA by hand, so the outcome says how far a failure got.

    A refusal, or a broken connection before DATA, delivered nothing: "failed" (retried next
    run). A broken connection during or after DATA may have delivered it: "unknown".
    """
    try:
        code, resp = smtp.mail(sender)
        if code != 250:
            smtp.rset()
            return "failed", f"sender refused by the server: {code} {_text(resp)}"
        code, resp = smtp.rcpt(to)
        if code not in (250, 251):
            smtp.rset()
            return "failed", f"recipient refused by the server: {code} {_text(resp)}"
    except (smtplib.SMTPException, OSError) as exc:
        return "failed", f"connection lost before the message was sent ({_exc(exc)})"
    try:
        code, resp = smtp.data(data)  # raises when DATA itself is refused; returns the verdict
    except smtplib.SMTPResponseException as exc:
        return "failed", f"refused by the server: {exc.smtp_code} {_text(exc.smtp_error)}"
    except (smtplib.SMTPException, OSError) as exc:
        return "unknown", (
            f"connection lost while sending ({_exc(exc)}); check the mail "
            f"server's log, then use --retry-unknown"
        )
    if code != 250:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.rset()
        return "failed", f"refused by the server: {code} {_text(resp)}"
    return "sent", ""


def _skip_reason(
    entry: OutboxEntry,
    msg: EmailMessage,
    key: str,
    to: str | None,
    state: dict[str, Any] | None,
    seen: set[str],
    retry_unknown: bool,
    include_review: bool,
) -> tuple[Status, str] | None:
    """Why this message is not sent in this run, or None when it is due."""
    if key in seen:
        return "skipped", "another file in this folder is this account's email for the quarter"
    status = (state or {}).get("status")
    at = (state or {}).get("at", "?")
    if status == "sent":
        return "skipped", f"already sent {at}"
    if status in ("sending", "unknown") and not retry_unknown:
        return "unknown", (
            f"possibly sent (left '{status}' at {at}); check the mail server's "
            f"log, then use --retry-unknown to send it again"
        )
    if entry.review and not include_review:
        return "skipped", (
            "held for manager review (Red account); send it with --include-review once approved"
        )
    if msg.get(H_HOLD):
        return "skipped", f"no recipient: {msg[H_HOLD]}"
    if to is None or valid_address(to) is None:
        return "skipped", "no recipient: the message needs exactly one plain To address"
    return None


def _text(raw: bytes | str) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


def _exc(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _flatten(msg: EmailMessage) -> bytes:
    buf = BytesIO()
    BytesGenerator(buf, policy=msg.policy.clone(linesep="\r\n")).flatten(msg)
    return buf.getvalue()


def _prepare_outgoing(msg: EmailMessage, sender: Address, now: datetime) -> EmailMessage:
    """The message as it leaves: From replaced, Date now, internal headers removed."""
    display = sender.display_name or (
        msg["From"].addresses[0].display_name if msg["From"] and msg["From"].addresses else ""
    )
    del msg["From"]
    msg["From"] = Address(display_name=display, username=sender.username, domain=sender.domain)
    del msg["Date"]
    msg["Date"] = format_datetime(now)
    for name in INTERNAL_HEADERS:
        del msg[name]
    return msg


def parse_sender(text: str) -> Address:
    """`--from`: "ops@example.com" or "Customer Success <ops@example.com>"."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text or ""):
        raise ConfigError(f"--from: {text!r} holds control characters")
    name, addr = parseaddr(text or "")
    checked = valid_address(addr)
    if checked is None:
        raise ConfigError(f"--from: {text!r} is not an email address")
    return address(name or None, checked)


def parse_smtp(text: str, default_port: int = 25) -> tuple[str, int]:
    """`--smtp`: "HOST", "HOST:PORT" or "[IPv6]:PORT" -> (host, port)."""
    raw = (text or "").strip()
    host, port = raw, str(default_port)
    if raw.startswith("["):
        end = raw.find("]")
        host, rest = raw[1:end], raw[end + 1 :]
        if end < 0 or (rest and not rest.startswith(":")):
            raise ConfigError(f"--smtp: expected [IPv6]:PORT, got {text!r}")
        port = rest[1:] or port
    elif raw.count(":") == 1:
        host, port = raw.split(":")
    elif ":" in raw:
        raise ConfigError(f"--smtp: write an IPv6 address in brackets, [::1]:25; got {text!r}")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"--smtp: expected HOST:PORT (e.g. smtp.example.com:587), got {text!r}")
    return host, int(port)


def parse_rate(text: str | None) -> float | None:
    """`--rate`: "30/min", "30" (per minute) or "2/s" -> messages per minute; None = no limit."""
    if text is None or not str(text).strip():
        return None
    raw = str(text).strip().lower().replace(" ", "")
    number, _, unit = raw.partition("/")
    per = {
        "": 1.0,
        "m": 1.0,
        "min": 1.0,
        "minute": 1.0,
        "s": 60.0,
        "sec": 60.0,
        "h": 1 / 60,
        "hour": 1 / 60,
    }.get(unit)
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if per is None or value < 0:
        raise ConfigError(f"--rate: expected messages per minute like 30/min, got {text!r}")
    return value * per


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def send_outbox(
    out_dir: Path,
    smtp_host: str,
    port: int,
    sender: str,
    *,
    starttls: bool = False,
    user: str | None = None,
    password_env: str = DEFAULT_PASSWORD_ENV,
    rate_per_min: float | None = None,
    dry_run: bool = False,
    retry_unknown: bool = False,
    include_review: bool = False,
    timeout: float = 30.0,
    progress: Callable[[SendItem], None] | None = None,
    smtp_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> SendReport:
    """Send every rendered email of `out_dir` to its recipient, at most once per account and
    quarter, and report what happened to each.

    `sender` overrides each message's From (and is the envelope sender). `rate_per_min` spaces
    the messages out (None or 0: no limit). `dry_run` connects to nothing and writes nothing.
    `retry_unknown` resends messages a crashed run left "sending" (check the mail server's log
    first). `include_review` also sends the manager-review queue (Red accounts) once approved.
    `smtp_factory`, `sleep` and `clock` are for tests.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ConfigError(f"{out_dir}: no such folder")
    from_addr = parse_sender(sender)
    password = None
    if user and not dry_run:
        password = os.environ.get(password_env)
        if not password:
            raise ConfigError(f"--user {user!r} needs the SMTP password in ${password_env}")
        if not starttls and not _is_loopback(smtp_host):
            raise ConfigError(
                f"refusing to send the SMTP password to {smtp_host} unencrypted: add --starttls"
            )
    if rate_per_min is not None and rate_per_min < 0:
        raise ConfigError("--rate: expected a number of messages per minute >= 0")
    interval = 60.0 / rate_per_min if rate_per_min else 0.0

    report = SendReport(dry_run=dry_run)

    def note(item: SendItem) -> None:
        report.items.append(item)
        if progress is not None:
            progress(item)

    entries = find_outbox(out_dir)
    with _exclusive(out_dir), SendLedger(out_dir / LEDGER) as ledger:
        conn = _Connection(
            smtp_host,
            port,
            starttls=starttls,
            user=user,
            password=password,
            timeout=timeout,
            factory=smtp_factory,
        )
        seen: set[str] = set()
        next_at = 0.0
        try:
            for entry in entries:
                msg = read_message(entry.path)
                key, account, quarter = ledger_key(msg, entry.path)
                to_header = msg["To"]
                to_addrs = [a.addr_spec for a in to_header.addresses] if to_header else []
                to = to_addrs[0] if len(to_addrs) == 1 else None
                subject = str(msg.get("Subject", ""))

                head = (entry.path, account, quarter, to, subject)

                skip = _skip_reason(
                    entry, msg, key, to, ledger.get(key), seen, retry_unknown, include_review
                )
                seen.add(key)
                if skip is not None:
                    note(SendItem(*head, *skip))
                    continue
                assert to is not None
                if report.error is not None:
                    note(SendItem(*head, "failed", f"not attempted: {report.error}"))
                    continue
                if dry_run:
                    note(SendItem(*head, "would_send", subject))
                    continue

                wait = next_at - clock()
                if wait > 0:
                    sleep(wait)
                next_at = clock() + interval
                try:
                    smtp = conn.ready()
                except PublishError as exc:
                    report.error = str(exc)
                    note(SendItem(*head, "failed", f"not attempted: {exc}"))
                    continue
                data = _flatten(_prepare_outgoing(msg, from_addr, datetime.now(timezone.utc)))
                ledger.record(
                    key,
                    "sending",
                    message_id=str(msg.get("Message-ID", "")),
                    to=to,
                    file=entry.path.name,
                )
                status, detail = _deliver(smtp, from_addr.addr_spec, to, data)
                if status == "unknown":
                    conn.close()
                ledger.record(key, status, to=to, **({"error": detail} if detail else {}))
                note(SendItem(*head, status, detail or subject))
        finally:
            conn.close()
    return report


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
