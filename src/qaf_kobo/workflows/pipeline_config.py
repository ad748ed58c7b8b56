"""Read and validate a pipeline config (pipelines/<name>.toml) for ``qaf-kobo run``: one place for settings.

A config lists its sources — KoboToolbox assets (on any server), ODK Central forms and folders of exports — as
``[[sources]]`` entries, each with a name; a config of one KoboToolbox project may keep the older ``[kobo]``
table instead (it is read as one ``kobo`` source).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qaf_kobo.errors import QafError
from qaf_kobo.framework import DEFAULT_FRAMEWORK, find_framework
from qaf_kobo.framework.catalogue import available_languages
from qaf_kobo.http.retry import DEFAULT_MAX_WAIT
from qaf_kobo.plans.horizons import horizons
from qaf_kobo.scoring.rules import DEFAULT_RULE, RULES
from qaf_kobo.store import DEFAULT_STORE, default_name


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KoboSettings(_Section):
    """Where the submissions come from; the token is named by its environment variable, never written here."""

    server: str = Field(pattern=r"^https?://")
    asset_uid: str = Field(min_length=1)
    token_env: str = Field(default="KOBO_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    full_scan: bool = False
    max_wait: float = Field(default=DEFAULT_MAX_WAIT, ge=0)


class SourceSettings(_Section):
    """One source: a KoboToolbox asset (``server``, ``asset_uid``, the token's ``token_env``), an ODK Central form
    (``server``, ``project``, ``form``, optionally pyodk's ``config_file``), or a ``folder`` of exports and JSON
    files saved by hand. Credentials are never written here."""

    name: str = Field(min_length=1)
    kind: Literal["kobo", "central", "export"]
    server: str | None = Field(default=None, pattern=r"^https?://")
    asset_uid: str | None = Field(default=None, min_length=1)
    token_env: str = Field(default="KOBO_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    project: int | None = None
    form: str | None = Field(default=None, min_length=1)
    config_file: Path | None = None
    folder: Path | None = None
    full_scan: bool = False
    max_wait: float = Field(default=DEFAULT_MAX_WAIT, ge=0)

    @model_validator(mode="after")
    def _what_the_kind_needs(self) -> SourceSettings:
        needs = {"kobo": ("server", "asset_uid"), "central": ("server", "project", "form"), "export": ("folder",)}
        missing = [key for key in needs[self.kind] if getattr(self, key) is None]
        if missing:
            raise ValueError(f"a {self.kind} source needs {' and '.join(missing)}")
        others = {"kobo": ("project", "form", "config_file", "folder"), "central": ("asset_uid", "folder"),
                  "export": ("server", "asset_uid", "project", "form", "config_file")}
        extra = [key for key in others[self.kind] if getattr(self, key) is not None]
        if extra:
            raise ValueError(f"a {self.kind} source has no {' or '.join(extra)}")
        return self


class StoreSettings(_Section):
    """The local SQLite store."""

    path: Path = DEFAULT_STORE


class ScoringSettings(_Section):
    """Which framework the submissions answer, how sections are scored and which submissions count."""

    framework: str = DEFAULT_FRAMEWORK
    rule: str = DEFAULT_RULE
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
    """Where the workbooks go, for which countries, in which language; the months from the latest assessment to an
    action's expected completion, per current level (level name or code → months; the others keep the default)."""

    out_dir: Path = Path("reports")
    countries: list[str] = []
    lang: str = "en"
    horizons: dict[str, int] = {}

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

    kobo: KoboSettings | None = None
    sources: list[SourceSettings] = []
    store: StoreSettings = StoreSettings()
    scoring: ScoringSettings = ScoringSettings()
    report: ReportSettings = ReportSettings()

    @model_validator(mode="after")
    def _sources_or_kobo(self) -> PipelineConfig:
        if self.kobo is not None and self.sources:
            raise ValueError("give either [kobo] (one KoboToolbox project) or [[sources]], not both: move the [kobo] "
                             'table into a [[sources]] entry with kind = "kobo" and a name')
        if self.kobo is None and not self.sources:
            raise ValueError("no sources: add [[sources]] entries (kind = \"kobo\", \"central\" or \"export\")")
        names = [s.name for s in self.sources]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"two sources named {', '.join(map(repr, twice))}: each source needs its own name")
        return self

    def all_sources(self) -> list[SourceSettings]:
        """The sources, the older ``[kobo]`` table as one ``kobo`` source (named as ``qaf-kobo sync`` names it)."""
        if self.kobo is None:
            return list(self.sources)
        k = self.kobo
        name = default_name("kobo", k.server.rstrip("/"), k.asset_uid)
        return [SourceSettings(name=name, kind="kobo", server=k.server, asset_uid=k.asset_uid, token_env=k.token_env,
                               full_scan=k.full_scan, max_wait=k.max_wait)]


def load_pipeline_config(path: Path) -> PipelineConfig:
    """Parse and validate a TOML pipeline config; an invalid one names the file, the key and the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QafError(f"{path}: cannot read the pipeline config ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise QafError(f"{path}: TOML syntax error: {exc}") from exc
    try:
        config = PipelineConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(p) for p in error["loc"])
            problem = {"extra_forbidden": "unknown key", "missing": "missing key"}.get(error["type"], error["msg"])
            problem = problem.removeprefix("Value error, ")
            problems.append(f"{key}: {problem}" if key else problem)  # a problem of the whole file names no key
        raise QafError(f"{path}: {'; '.join(problems)}") from None
    try:
        horizons(find_framework(config.scoring.framework), config.report.horizons)
    except QafError as exc:
        raise QafError(f"{path}: report.horizons: {exc}") from None
    if config.store.path.is_dir():
        raise QafError(f"{path}: store.path: {config.store.path} is a folder; give the store's file, such as "
                       f"path = \"{config.store.path / 'qaf.sqlite'}\"")
    return config


def check_sources(config: PipelineConfig) -> None:
    """Before anything is synced: every export source's folder is there (a missing one would otherwise be found
    only after the sources before it were synced)."""
    for source in config.all_sources():
        if source.kind == "export" and source.folder is not None and not source.folder.is_dir():
            what = "is a file, not a folder" if source.folder.exists() else "does not exist"
            raise QafError(f"the source {source.name}: its folder {source.folder} {what}; nothing was synced — fix "
                           "sources.folder in the config (or make the folder) and run again")
