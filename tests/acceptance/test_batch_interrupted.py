"""A batch interrupted mid-run (Ctrl-C, or killed outright) leaves no partial file and resumes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.acceptance.conftest import AS_OF, SAMPLE

pytestmark = pytest.mark.slow

ARGS = [
    "batch",
    str(SAMPLE),
    "--week",
    "2026-W50",
    "--as-of",
    AS_OF,
    "--format",
    "pptx",
    "--jobs",
    "2",
]


def run_cli(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deckgen.cli", *ARGS, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_and_interrupt(out: Path, sig: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "deckgen.cli", *ARGS, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # A runner that started these tests in the background (`cmd &` in a script, nohup)
        # passes on SIGINT ignored; Ctrl-C at a terminal is what is tested here.
        preexec_fn=_default_sigint,
    )
    journal = out / ".deckgen" / "journal.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if journal.is_file() and len(journal.read_text().splitlines()) >= 6:
            break
        if proc.poll() is not None:
            pytest.fail("the batch finished before it could be interrupted")
        time.sleep(0.05)
    os.killpg(proc.pid, sig)  # the whole group, as a terminal's Ctrl-C or a kill would
    proc.wait(timeout=60)


def digests(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*.pptx"))
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("reference")
    result = run_cli(out)
    assert result.returncode == 0, result.stderr
    return digests(out)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_interrupted_batch_resumes_to_the_same_outputs(
    tmp_path: Path, sig: int, reference: dict[str, str]
) -> None:
    out = tmp_path / "out"
    start_and_interrupt(out, sig)
    # Whatever is on disk under its final name is a complete deck.
    done = list(out.rglob("*.pptx"))
    assert len(done) < len(reference)
    for path in done:
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None and "ppt/presentation.xml" in z.namelist()
    if sig == signal.SIGINT:
        assert not list(out.rglob("*.tmp")), "Ctrl-C leaves no temp file behind"
    assert not (out / "manifest.json").exists(), "the manifest is written last"

    result = run_cli(out)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert not list(out.rglob("*.tmp"))
    assert digests(out) == reference
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["accounts"]) == 20
