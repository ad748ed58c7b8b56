"""Read and validate a pipeline config (pipelines/<name>.toml) for ``qaf-kobo run``: one place for settings."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qaf_kobo.errors import QafError
from qaf_kobo.framework import DEFAULT_FRAMEWORK, find_framework
from qaf_kobo.framework.catalogue import available_languages
from qaf_kobo.kobo.retry import DEFAULT_MAX_WAIT
from qaf_kobo.scoring.rules import RULES
from qaf_kobo.store import DEFAULT_STORE


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KoboSettings(_Section):
    """Where the submissions come from; the token is named by its environment variable, never written here."""

    server: str = Field(pattern=r"^https?://")
    asset_uid: str = Field(min_length=1)
    token_env: str = Field(default="KOBO_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    full_scan: bool = False
    max_wait: float = Field(default=DEFAULT_MAX_WAIT, ge=0)


class StoreSettings(_Section):
    """The local SQLite store."""

    path: Path = DEFAULT_STORE


class ScoringSettings(_Section):
    """Which framework the submissions answer, how sections are scored and which submissions count."""

    framework: str = DEFAULT_FRAMEWORK
    rule: str = "min"
    only_approved: bool = False

    @field_validator("framework")
    @classmethod
    def _known_framework(cls, value: str) -> str:
        try:
            find_framework(value)
        except QafError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        if value not in RULES:
            raise ValueError(f"expected one of {', '.join(RULES)}, found {value!r}")
        return value


class ReportSettings(_Section):
    """Where the workbooks go, for which countries, in which language."""

    out_dir: Path = Path("reports")
    countries: list[str] = []
    lang: str = "en"

    @field_validator("countries")
    @classmethod
    def _iso3(cls, value: list[str]) -> list[str]:
        wrong = [c for c in value if not (len(c) == 3 and c.isalpha() and c.isupper())]
        if wrong:
            raise ValueError(f"expected ISO 3166-1 alpha-3 codes such as JOR, found {', '.join(map(repr, wrong))}")
        return value

    @field_validator("lang")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in available_languages():
            raise ValueError(f"expected one of {', '.join(available_languages())}, found {value!r}")
        return value


class PipelineConfig(_Section):
    """A whole pipeline config."""

    kobo: KoboSettings
    store: StoreSettings = StoreSettings()
    scoring: ScoringSettings = ScoringSettings()
    report: ReportSettings = ReportSettings()


def load_pipeline_config(path: Path) -> PipelineConfig:
    """Parse and validate a TOML pipeline config; an invalid one names the file, the key and the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QafError(f"{path}: cannot read the pipeline config ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise QafError(f"{path}: TOML syntax error: {exc}") from exc
    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(p) for p in error["loc"])
            problem = {"extra_forbidden": "unknown key", "missing": "missing key"}.get(error["type"], error["msg"])
            problem = problem.removeprefix("Value error, ")
            problems.append(f"{key}: {problem}")
        raise QafError(f"{path}: {'; '.join(problems)}") from None
