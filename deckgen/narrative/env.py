"""The jinja2 environments for our own templates under content/.

Sandboxed and `StrictUndefined`: a template that names a value the context lacks fails loudly
(in CI, via the test that renders every template), never a blank in front of a customer. User
data only ever enters as *values* in the context; it is never compiled as a template. HTML
environments autoescape; text environments (slides, plain-text email) do not need to, because
their output is not markup.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from deckgen.resources import data_path


def _loader(overrides: Path | None) -> ChoiceLoader:
    loaders = []
    if overrides is not None:
        loaders.append(FileSystemLoader(str(overrides)))
    loaders.append(FileSystemLoader(str(data_path("content"))))
    return ChoiceLoader(loaders)


@lru_cache(maxsize=8)
def text_env(overrides: Path | None = None) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=_loader(overrides),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    return env


@lru_cache(maxsize=8)
def html_env(overrides: Path | None = None) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=_loader(overrides),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_text(name: str, overrides: Path | None = None, **context: object) -> str:
    """Render a text template and collapse the whitespace templates leave between lines."""
    out = text_env(overrides).get_template(name).render(**context)
    lines = [line.rstrip() for line in out.strip().splitlines()]
    cleaned: list[str] = []
    for line in lines:
        if line or (cleaned and cleaned[-1]):
            cleaned.append(line)
    return "\n".join(cleaned)


def compile_text_templates(*folders: str, overrides: Path | None = None) -> None:
    """Compile every text template under `folders` of content/ into `text_env(overrides)` now.

    jinja2 compiles a template on first use (~2-3 ms each, ~17 for an enterprise deck); a
    caller with idle time (`deckgen render` while its book is prepared) can take that off the
    first deck's path. `render_text` then finds them compiled.
    """
    env = text_env(overrides)
    root = data_path("content")
    for folder in folders:
        for path in sorted((root / folder).glob("*.j2")):
            env.get_template(f"{folder}/{path.name}")
