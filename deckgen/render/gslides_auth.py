"""Google credentials for Slides output: people (OAuth), schedules (service accounts) and ADC.

Scopes are `drive.file` (only files deckgen creates or is given) and `presentations`: neither is a
restricted scope, so an internal OAuth app needs no Google security review, and deckgen cannot
read the rest of anyone's Drive.

`select_credentials` picks, in this order (the first that is configured wins, so an explicit
choice is never overridden by something lying around on the machine):

1. `gslides.auth` set to `oauth`, `service_account` or `adc`: exactly that, or an error.
2. `auto` (the default):
   a. a service-account key file (`gslides.service_account_file` or
      `$DECKGEN_GOOGLE_SERVICE_ACCOUNT`): schedules and CI. Service accounts own no Drive storage,
      so they write into a Shared Drive folder, or act as a user through domain-wide delegation
      (`gslides.delegated_user` / `$DECKGEN_GOOGLE_SUBJECT`);
   b. the token `deckgen auth login` stored for the person at this keyboard;
   c. application default credentials (`google.auth.default`: `$GOOGLE_APPLICATION_CREDENTIALS`,
      `gcloud auth application-default login`, or the metadata server on Google Cloud) - last,
      because they are ambient and may belong to an unrelated gcloud setup.

The OAuth token is JSON in `$XDG_CONFIG_HOME/deckgen/google-token.json` (else
`~/.config/deckgen/...`; `gslides.token_file` or `$DECKGEN_GOOGLE_TOKEN` override), written
atomically with 0600 permissions in a 0700 folder. Nothing here logs or returns a token, a
refresh token or a private key: status reports say which identity and file, never the secret.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deckgen.errors import PublishError
from deckgen.render.gslides_requests import GslidesSettings

__all__ = [
    "SCOPES",
    "AuthChoice",
    "AuthStatus",
    "login",
    "logout",
    "select_credentials",
    "status",
    "token_path",
]

log = logging.getLogger("deckgen.gslides")

SCOPES = (
    "https://www.googleapis.com/auth/drive.file",
    "https://www.googleapis.com/auth/presentations",
)
ENV_SERVICE_ACCOUNT = "DECKGEN_GOOGLE_SERVICE_ACCOUNT"
ENV_SUBJECT = "DECKGEN_GOOGLE_SUBJECT"
ENV_CLIENT_SECRETS = "DECKGEN_GOOGLE_CLIENT_SECRETS"
ENV_TOKEN = "DECKGEN_GOOGLE_TOKEN"
REVOKE_URL = "https://oauth2.googleapis.com/revoke"
HELP = "see docs/google-slides.md"


@dataclass(frozen=True)
class AuthChoice:
    """The credentials to use and a secret-free description of whose they are."""

    mode: str  # oauth | service_account | adc
    credentials: Any = field(repr=False)
    identity: str


@dataclass(frozen=True)
class AuthStatus:
    """What `deckgen auth status` prints: the chosen mode, identity and any problem."""

    mode: str | None
    identity: str
    ok: bool
    token_file: str
    scopes: tuple[str, ...] = SCOPES
    problems: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        out = [
            f"mode: {self.mode or 'none'}",
            f"identity: {self.identity or '-'}",
            f"token file: {self.token_file}",
            f"scopes: {' '.join(self.scopes)}",
        ]
        out += [f"problem: {p}" for p in self.problems]
        return out


def _settings(config_or_settings: Any) -> GslidesSettings:
    if isinstance(config_or_settings, GslidesSettings):
        return config_or_settings
    return GslidesSettings.from_config(config_or_settings)


def token_path(config_or_settings: Any = None, env: Mapping[str, str] | None = None) -> Path:
    """Where the OAuth token lives (see the module docstring for the order)."""
    env = os.environ if env is None else env
    settings = _settings(config_or_settings) if config_or_settings is not None else None
    if settings and settings.token_file:
        return Path(settings.token_file).expanduser()
    if env.get(ENV_TOKEN):
        return Path(env[ENV_TOKEN]).expanduser()
    base = env.get("XDG_CONFIG_HOME")
    root = Path(base).expanduser() if base else Path(env.get("HOME") or Path.home()) / ".config"
    return root / "deckgen" / "google-token.json"


def _write_private(path: Path, text: str) -> None:
    """Atomically write `text` readable by the owner only (0600 file in a 0700 folder)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _tighten(path: Path) -> None:
    """A token readable by others is re-protected (and said so), not silently used as is."""
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
        log.warning("%s was readable by other users (mode %o); now 0600", path, mode)


def _service_account(path: Path, subject: str) -> AuthChoice:
    from google.oauth2 import service_account

    if not path.is_file():
        raise PublishError(f"service account key file not found: {path} ({HELP})")
    try:
        creds = service_account.Credentials.from_service_account_file(
            str(path), scopes=list(SCOPES), subject=subject or None
        )
    except (ValueError, KeyError) as exc:
        # The message of these errors never contains the key itself, only what is missing.
        raise PublishError(f"{path} is not a service account key file: {exc}") from None
    email = getattr(creds, "service_account_email", "") or "service account"
    who = f"{email} acting as {subject}" if subject else email
    return AuthChoice("service_account", creds, who)


def _stored_token(path: Path) -> AuthChoice:
    from google.oauth2.credentials import Credentials

    _tighten(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        # No `scopes=` override: the credentials keep the scopes the grant really has.
        creds = Credentials.from_authorized_user_info(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PublishError(
            f"stored Google token {path} is unusable ({type(exc).__name__}); run "
            f"`deckgen auth login` again"
        ) from None
    granted = set(creds.scopes or ())
    missing = [s for s in SCOPES if granted and s not in granted]
    if missing:
        raise PublishError(
            f"stored Google token lacks scope(s) {', '.join(missing)}; run "
            f"`deckgen auth login` again"
        )
    if not creds.refresh_token and not creds.valid:
        raise PublishError(
            "stored Google token has expired and cannot be refreshed; run "
            "`deckgen auth login` again"
        )
    return AuthChoice("oauth", creds, f"user token {path}")


def _adc(subject: str) -> AuthChoice:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        creds, project = google.auth.default(scopes=list(SCOPES))
    except DefaultCredentialsError as exc:
        raise PublishError(f"no application default credentials: {exc}") from None
    if subject and hasattr(creds, "with_subject"):
        creds = creds.with_subject(subject)
    email = getattr(creds, "service_account_email", "") or "application default credentials"
    where = f" (project {project})" if project else ""
    return AuthChoice("adc", creds, f"{email}{where}")


def select_credentials(config_or_settings: Any, env: Mapping[str, str] | None = None) -> AuthChoice:
    """Credentials for Slides output, chosen in the documented order (module docstring)."""
    env = os.environ if env is None else env
    settings = _settings(config_or_settings)
    key_file = settings.service_account_file or env.get(ENV_SERVICE_ACCOUNT, "")
    subject = settings.delegated_user or env.get(ENV_SUBJECT, "")
    token = token_path(settings, env)
    mode = settings.auth
    if mode == "service_account":
        if not key_file:
            raise PublishError(
                f"gslides.auth is service_account but no key file is set "
                f"(gslides.service_account_file or ${ENV_SERVICE_ACCOUNT}); {HELP}"
            )
        return _service_account(Path(key_file).expanduser(), subject)
    if mode == "oauth":
        if not token.is_file():
            raise PublishError(
                f"not signed in to Google (no token at {token}); run `deckgen auth login`"
            )
        return _stored_token(token)
    if mode == "adc":
        return _adc(subject)
    if key_file:
        return _service_account(Path(key_file).expanduser(), subject)
    if token.is_file():
        return _stored_token(token)
    try:
        return _adc(subject)
    except PublishError:
        raise PublishError(
            f"no Google credentials: run `deckgen auth login`, set "
            f"gslides.service_account_file (or ${ENV_SERVICE_ACCOUNT}), or configure "
            f"application default credentials; {HELP}"
        ) from None


def login(
    config_or_settings: Any,
    env: Mapping[str, str] | None = None,
    *,
    client_secrets: str | Path | None = None,
    open_browser: bool = True,
    flow_factory: Callable[..., Any] | None = None,
) -> Path:
    """Run the OAuth installed-app flow in a browser and store the token; returns its path.

    The client secrets file is the "Desktop app" OAuth client downloaded from the Cloud
    console (`--client-secrets`, `gslides.oauth_client_file` or `$DECKGEN_GOOGLE_CLIENT_SECRETS`).
    With `open_browser=False` (a remote shell) the URL is printed to open elsewhere; the redirect
    still goes to a loopback port on this machine.
    """
    env = os.environ if env is None else env
    settings = _settings(config_or_settings)
    secrets = Path(
        str(client_secrets or settings.oauth_client_file or env.get(ENV_CLIENT_SECRETS, ""))
    ).expanduser()
    if not str(secrets) or str(secrets) == "." or not secrets.is_file():
        raise PublishError(
            f"OAuth client file not found ({secrets or 'not set'}): download the "
            f"Desktop-app client JSON and pass --client-secrets or set "
            f"gslides.oauth_client_file; {HELP}"
        )
    if flow_factory is None:
        from google_auth_oauthlib.flow import InstalledAppFlow

        flow_factory = InstalledAppFlow.from_client_secrets_file
    flow = flow_factory(str(secrets), scopes=list(SCOPES))
    creds = flow.run_local_server(
        port=0,
        open_browser=open_browser,
        authorization_prompt_message="Open this URL to let deckgen create Google Slides: {url}",
        success_message="deckgen is signed in. You can close this tab.",
    )
    path = token_path(settings, env)
    _write_private(path, creds.to_json())
    log.info("Google token stored in %s", path)
    return path


def status(config_or_settings: Any, env: Mapping[str, str] | None = None) -> AuthStatus:
    """Which credentials a run would use, without making any API call or showing a secret."""
    env = os.environ if env is None else env
    settings = _settings(config_or_settings)
    token = str(token_path(settings, env))
    try:
        choice = select_credentials(settings, env)
    except PublishError as exc:
        return AuthStatus(None, "", False, token, problems=(str(exc),))
    problems: list[str] = []
    if choice.mode == "service_account" and not (
        settings.shared_drive_id or settings.delegated_user or env.get(ENV_SUBJECT)
    ):
        problems.append(
            "service accounts have no Drive storage: set gslides.shared_drive_id "
            "and a folder on it, or gslides.delegated_user (domain-wide delegation)"
        )
    return AuthStatus(choice.mode, choice.identity, not problems, token, problems=tuple(problems))


def _post_revoke(token: str) -> None:
    import urllib.parse
    import urllib.request

    data = urllib.parse.urlencode({"token": token}).encode()
    req = urllib.request.Request(
        REVOKE_URL,
        data=data,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(req, timeout=10):
        pass


def logout(
    config_or_settings: Any,
    env: Mapping[str, str] | None = None,
    *,
    revoke: bool = True,
    post: Callable[[str], None] | None = None,
) -> bool:
    """Revoke the stored grant at Google (best effort) and delete the token file.

    Returns False when there was no stored token. A failed revocation is logged without the
    token and the file is deleted anyway: the user asked to be signed out of this machine.
    """
    path = token_path(_settings(config_or_settings), env)
    if not path.is_file():
        return False
    if revoke:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            secret = data.get("refresh_token") or data.get("token")
            if secret:
                (post or _post_revoke)(str(secret))
        except Exception as exc:  # network, bad JSON: the file goes regardless
            log.warning(
                "could not revoke the Google grant (%s); deleting the token anyway",
                type(exc).__name__,
            )
    path.unlink()
    return True
