"""Read and validate a pipeline config (pipelines/<name>.toml) for ``qaf-kobo run``: one place for settings."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qaf_kobo.errors import QafError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KoboSettings(_Section):
    """Where the submissions come from; the token is named by its environment variable, never written here."""

    server: str = Field(pattern=r"^https?://")
    asset_uid: str = Field(min_length=1)
    token_env: str = Field(default="KOBO_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    full_scan: bool = False


class StoreSettings(_Section):
    """The local SQLite store."""

    path: Path = Path("data/qaf.sqlite")


class ScoringSettings(_Section):
    """How sections are scored and which submissions count."""

    rule: Literal["min", "median"] = "min"
    only_approved: bool = False


class ReportSettings(_Section):
    """Where the workbooks go, for which countries, in which language."""

    out_dir: Path = Path("reports")
    countries: list[str] = []
    lang: str = "en"


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
            problems.append(f"{key}: {problem}")
        raise QafError(f"{path}: {'; '.join(problems)}") from None
