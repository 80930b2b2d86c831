"""Credential selection, token storage and sign-out, with fake files and no network."""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest

from deckgen.errors import PublishError
from deckgen.render import gslides_auth as auth
from deckgen.render.gslides_requests import GslidesSettings

REFRESH = "1//refresh-token-SECRET-value"
ACCESS = "ya29.access-token-SECRET-value"


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def sa_file(tmp_path: Path, private_key_pem: str) -> Path:
    path = tmp_path / "sa.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "cs-ops",
                "private_key_id": "abc123",
                "private_key": private_key_pem,
                "client_email": "deckgen@cs-ops.iam.gserviceaccount.com",
                "client_id": "1234567890",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        ),
        encoding="utf-8",
    )
    return path


def _token_json() -> str:
    return json.dumps(
        {
            "token": ACCESS,
            "refresh_token": REFRESH,
            "client_id": "cid.apps",
            "client_secret": "csecret-SECRET",
            "scopes": list(auth.SCOPES),
            "token_uri": "https://oauth2.googleapis.com/token",
            "type": "authorized_user",
        }
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}


@pytest.fixture
def no_adc(monkeypatch: pytest.MonkeyPatch) -> None:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    def fail(**_: Any) -> Any:
        raise DefaultCredentialsError("Could not automatically determine credentials.")

    monkeypatch.setattr(google.auth, "default", fail)


def _store_token(env: dict[str, str], mode: int = 0o600) -> Path:
    path = auth.token_path(GslidesSettings(), env)
    path.parent.mkdir(parents=True)
    path.write_text(_token_json(), encoding="utf-8")
    os.chmod(path, mode)
    return path


# --------------------------------------------------------------------------- paths


def test_token_path_order(tmp_path: Path) -> None:
    s = GslidesSettings()
    assert auth.token_path(s, {"XDG_CONFIG_HOME": "/x"}) == Path("/x/deckgen/google-token.json")
    assert auth.token_path(s, {"HOME": "/h"}) == Path("/h/.config/deckgen/google-token.json")
    assert auth.token_path(s, {"HOME": "/h", auth.ENV_TOKEN: "/t.json"}) == Path("/t.json")
    assert auth.token_path(replace(s, token_file="/cfg.json"), {auth.ENV_TOKEN: "/t.json"}) == Path(
        "/cfg.json"
    )


# --------------------------------------------------------------------------- selection


def test_service_account_file_with_delegation(sa_file: Path, env: dict[str, str]) -> None:
    settings = replace(
        GslidesSettings(), service_account_file=str(sa_file), delegated_user="csm@example.com"
    )
    choice = auth.select_credentials(settings, env)
    assert choice.mode == "service_account"
    assert choice.identity == "deckgen@cs-ops.iam.gserviceaccount.com acting as csm@example.com"
    assert choice.credentials._subject == "csm@example.com"
    assert set(choice.credentials._scopes) == set(auth.SCOPES)
    assert "PRIVATE KEY" not in repr(choice)


def test_auto_order_service_account_then_token_then_adc(
    sa_file: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import google.auth

    adc_creds = object()
    monkeypatch.setattr(google.auth, "default", lambda **_: (adc_creds, "proj-1"))
    s = GslidesSettings()
    assert auth.select_credentials(s, env).mode == "adc"
    assert auth.select_credentials(s, env).credentials is adc_creds
    _store_token(env)
    assert auth.select_credentials(s, env).mode == "oauth"
    assert (
        auth.select_credentials(s, {**env, auth.ENV_SERVICE_ACCOUNT: str(sa_file)}).mode
        == "service_account"
    )
    # an explicit mode is never overridden by what else is lying around
    assert (
        auth.select_credentials(
            replace(s, auth="adc"), {**env, auth.ENV_SERVICE_ACCOUNT: str(sa_file)}
        ).mode
        == "adc"
    )


def test_stored_token_is_loaded_and_reprotected(
    env: dict[str, str], no_adc: None, caplog: pytest.LogCaptureFixture
) -> None:
    path = _store_token(env, mode=0o644)
    with caplog.at_level(logging.WARNING, logger="deckgen.gslides"):
        choice = auth.select_credentials(GslidesSettings(), env)
    assert choice.mode == "oauth" and choice.credentials.refresh_token == REFRESH
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "now 0600" in caplog.text
    assert REFRESH not in caplog.text and ACCESS not in caplog.text
    assert REFRESH not in repr(choice) and ACCESS not in choice.identity


def test_nothing_configured_is_one_clear_error(env: dict[str, str], no_adc: None) -> None:
    with pytest.raises(PublishError, match="deckgen auth login"):
        auth.select_credentials(GslidesSettings(), env)
    with pytest.raises(PublishError, match="no key file is set"):
        auth.select_credentials(replace(GslidesSettings(), auth="service_account"), env)
    with pytest.raises(PublishError, match="not signed in"):
        auth.select_credentials(replace(GslidesSettings(), auth="oauth"), env)
    with pytest.raises(PublishError, match="key file not found"):
        auth.select_credentials(replace(GslidesSettings(), service_account_file="/nope.json"), env)


def test_a_token_without_our_scopes_asks_for_login_again(env: dict[str, str]) -> None:
    path = _store_token(env)
    data = json.loads(path.read_text())
    data["scopes"] = ["https://www.googleapis.com/auth/drive.file"]
    path.write_text(json.dumps(data))
    with pytest.raises(PublishError, match=r"lacks scope.*presentations"):
        auth.select_credentials(replace(GslidesSettings(), auth="oauth"), env)


# --------------------------------------------------------------------------- login, status, logout


class _FakeCreds:
    def to_json(self) -> str:
        return _token_json()


class _FakeFlow:
    seen: ClassVar[dict[str, Any]] = {}

    def run_local_server(self, **kw: Any) -> _FakeCreds:
        _FakeFlow.seen.update(kw)
        return _FakeCreds()


def test_login_stores_the_token_owner_only(tmp_path: Path, env: dict[str, str]) -> None:
    secrets = tmp_path / "client.json"
    secrets.write_text('{"installed": {}}')
    calls: list[tuple[str, Any]] = []

    def factory(path: str, scopes: Any) -> _FakeFlow:
        calls.append((path, scopes))
        return _FakeFlow()

    path = auth.login(
        GslidesSettings(), env, client_secrets=secrets, open_browser=False, flow_factory=factory
    )
    assert calls == [(str(secrets), list(auth.SCOPES))]
    assert _FakeFlow.seen["port"] == 0 and _FakeFlow.seen["open_browser"] is False
    assert path == Path(env["XDG_CONFIG_HOME"]) / "deckgen" / "google-token.json"
    assert json.loads(path.read_text())["refresh_token"] == REFRESH
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not list(path.parent.glob(".*.tmp"))
    with pytest.raises(PublishError, match="OAuth client file not found"):
        auth.login(GslidesSettings(), env, flow_factory=factory)


def test_status_names_the_identity_never_the_secret(
    sa_file: Path, env: dict[str, str], no_adc: None
) -> None:
    st = auth.status(GslidesSettings(), env)
    assert not st.ok and st.mode is None and "deckgen auth login" in st.problems[0]
    _store_token(env)
    st = auth.status(GslidesSettings(), env)
    assert st.ok and st.mode == "oauth"
    text = "\n".join(st.lines()) + repr(st)
    assert REFRESH not in text and ACCESS not in text and "csecret" not in text
    sa = auth.status(replace(GslidesSettings(), service_account_file=str(sa_file)), env)
    assert sa.mode == "service_account" and not sa.ok
    assert "Shared Drive" in sa.problems[0] or "shared_drive_id" in sa.problems[0]
    ok_sa = auth.status(
        replace(GslidesSettings(), service_account_file=str(sa_file), shared_drive_id="0AD"), env
    )
    assert ok_sa.ok and "PRIVATE" not in "\n".join(ok_sa.lines())


def test_logout_revokes_then_deletes(env: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    path = _store_token(env)
    revoked: list[str] = []
    assert auth.logout(GslidesSettings(), env, post=revoked.append) is True
    assert revoked == [REFRESH] and not path.exists()
    assert auth.logout(GslidesSettings(), env) is False

    path.write_text(_token_json())

    def broken(token: str) -> None:
        raise OSError(f"network down while sending {token}")

    with caplog.at_level(logging.WARNING, logger="deckgen.gslides"):
        assert auth.logout(GslidesSettings(), env, post=broken) is True
    assert not path.exists()
    assert "could not revoke" in caplog.text and REFRESH not in caplog.text
