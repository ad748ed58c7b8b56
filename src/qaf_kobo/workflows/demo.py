"""``qaf-kobo demo``: the whole job offline — local servers, form, synthetic assessments, sync, scores, workbooks.

Every step goes through the same code a real deployment uses: the form is built and deployed through the Kobo
client to a KoboToolbox-compatible server and through the Central client to an ODK Central-compatible one, over
HTTP; submissions from both are pulled by the syncs into one store, and the submissions of a country whose officer
has no API access reach it as an export downloaded by hand — three sources; the reports are written from the store
and combine them.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pycountry

from qaf_kobo.central.client import CentralClient
from qaf_kobo.central.credentials import CentralCredentials
from qaf_kobo.central.deploy import deploy_form as publish_xform
from qaf_kobo.devserver import DevServer
from qaf_kobo.devserver.central import CentralDevServer
from qaf_kobo.errors import QafError
from qaf_kobo.form.build import BuiltForm, build_form
from qaf_kobo.form.structure import read_form_structure
from qaf_kobo.framework import Framework, default_framework
from qaf_kobo.kobo.client import KoboClient
from qaf_kobo.kobo.deploy import deploy_form
from qaf_kobo.report.workbook import write_reports
from qaf_kobo.scoring import score
from qaf_kobo.scoring.indicators import NOT_SUPPORTED
from qaf_kobo.sync.central import sync_central
from qaf_kobo.sync.files import import_files
from qaf_kobo.sync.kobo import sync
from qaf_kobo.workflows.demo_data import (
    duplicate_of,
    edit_of,
    generate_assessments,
    older_version_of,
)
from qaf_kobo.workflows.demo_plan import demo_country, follow_up_last_plan
from qaf_kobo.workflows.report_run import first_seen_days, keep_first_seen, latest_round_lines, tracked_actions

DEMO_TOKEN = "demo-token-for-the-local-server"
DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "demo-password-for-the-local-central"
CENTRAL_COUNTRIES = ("IRQ", "YEM")
"""The countries whose assessments the demo keeps on its ODK Central server (the others are on KoboToolbox)."""
EXPORTED_COUNTRIES = ("YEM",)
"""Those of CENTRAL_COUNTRIES in a Central project of their own, read from its "all submissions" CSV zip export (as
an officer without API access downloads it from the web page) instead of synced."""

STEPS = 7


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced."""

    store: Path
    out_dir: Path
    workbooks: list[Path]
    countries: list[str]
    unknown_countries: list[str]
    n_assessments: int
    n_left_out: int
    latest_rounds: list[str]
    """Per country, its latest round's figures as the regional Overview shows them."""
    n_findings: int
    n_not_supported: int
    server_url: str
    asset_uid: str
    central_url: str
    plan_country: str | None = None
    n_tracked: int = 0

    def summary(self) -> str:
        """The closing lines of ``qaf-kobo demo``: countries, counts and the workbooks."""
        codes = self.unknown_countries
        unknown = (f" (and {', '.join(codes)}: {'not ISO 3166 codes' if len(codes) > 1 else 'not an ISO 3166 code'}, "
                   "see Data quality)" if codes else "")
        return "\n".join([
            f"Countries: {', '.join(self.countries)}{unknown}",
            f"Assessments scored: {self.n_assessments} ({self.n_left_out} left out of their round's figures); "
            f"data-quality findings: {self.n_findings}",
            "Latest rounds (regional Overview: sections meeting the minimum, then the index; the previous round in "
            "brackets):",
            *(f"  {line}" for line in self.latest_rounds),
            *([f"Action plan: {self.plan_country}'s plan of its first round was filled in and read back ({self.n_tracked} "
               "actions, qaf-kobo actions import); see its Country profile and Country action plan"]
              if self.plan_country else []),
            "Workbooks:",
            *(f"  {path}" for path in self.workbooks),
        ])


@dataclass(frozen=True)
class SeededDemo:
    """What was seeded: the asset, and the rootUuids of the submissions the demo edits and deletes later."""

    asset_uid: str
    to_edit: tuple[str, dict[str, str]]  # rootUuid, the changes
    to_delete: str


def build_demo_forms(folder: Path, fw: Framework) -> tuple[BuiltForm, BuiltForm]:
    """The older form (without the framework's last section; of a framework of one section, that section under an
    earlier version) and the current one, built into ``folder``."""
    older_fw = fw.with_sections([s.id for s in fw.sections[:-1] or fw.sections])
    return (build_form(folder / "older", framework=older_fw, stamp="202503010000"),
            build_form(folder / "current", framework=fw))


def seed_server(server: DevServer, fw: Framework, seed: int = 2026, *, leave_out: Collection[str] = (),
                forms: tuple[BuiltForm, BuiltForm] | None = None) -> SeededDemo:
    """Deploy an older and the current form to ``server`` (through the Kobo client) and add synthetic assessments,
    but those of the countries to ``leave_out`` (the demo puts them on its Central server).

    The older form lacks the framework's last section: its submission is scored on the criteria it has, and
    flagged. ``forms``: the two forms already built (see :func:`build_demo_forms`). Used by the demo and by
    ``qaf-kobo devserver --seed-demo``.
    """
    token = next(iter(server.tokens))
    with tempfile.TemporaryDirectory() as tmp, KoboClient(server.url, token) as client:
        older, current = forms or build_demo_forms(Path(tmp), fw)
        deployment = deploy_form(client, older.xlsx, name=fw.title)
        asset = deployment.asset_uid
        older_structure, structure = read_form_structure(older.xml), read_form_structure(current.xml)
        assessments = generate_assessments(fw, structure, seed=seed)
        early = next(a for a in assessments if a.role == "older_version")
        server.add_submission(older_version_of(early, structure, older_structure).answers, asset)
        deploy_form(client, current.xlsx, asset)
        assessments.remove(early)
    country = structure.key("country")
    assessments = [a for a in assessments if a.answers.get(country) not in leave_out or a.role != "regular"]
    roots = [server.add_submission(a.answers, asset)["meta/rootUuid"] for a in assessments]
    duplicate = server.add_submission(duplicate_of(assessments[2]).answers, asset)
    server.set_validation_status(duplicate["meta/rootUuid"], "validation_status_on_hold", asset)
    edit = next(i for i, a in enumerate(assessments) if a.role == "to_edit")
    delete = next(i for i, a in enumerate(assessments) if a.role == "to_delete")
    return SeededDemo(asset, (roots[edit], edit_of(assessments[edit], fw, structure)), roots[delete])


def edit_and_delete(server: DevServer, seeded: SeededDemo) -> None:
    """What a coordinator does on the server after the first sync: edit one submission, delete another."""
    server.edit_submission(seeded.to_edit[0], seeded.to_edit[1], seeded.asset_uid)
    server.delete_submission(seeded.to_delete, seeded.asset_uid)


@dataclass(frozen=True)
class SeededCentral:
    """What was seeded on the Central server: the project and form, how many, what the demo edits and deletes."""

    project_id: int
    form_id: str
    count: int
    to_edit: tuple[str, dict[str, str]]  # __id, the changes
    to_delete: str


def seed_central(server: CentralDevServer, credentials: CentralCredentials, fw: Framework, xform: Path,
                 seed: int = 2026, countries: Collection[str] = CENTRAL_COUNTRIES) -> SeededCentral:
    """Publish the form's XForm to a new project on ``server`` (through the Central client) and add the
    synthetic assessments of ``countries`` (the same the Kobo seeding leaves out)."""
    project = server.create_project("QAF " + " and ".join(countries))
    with CentralClient(server.url, credentials) as client:
        form_id = publish_xform(client, xform, project).form_id
    structure = read_form_structure(xform)
    country = structure.key("country")
    assessments = [a for a in generate_assessments(fw, structure, seed=seed)
                   if a.role == "regular" and a.answers.get(country) in countries]
    ids = server.add_submissions((a.answers for a in assessments), project, form_id)
    return SeededCentral(project, form_id, len(ids), (ids[0], edit_of(assessments[0], fw, structure)), ids[-1])


def download_export(url: str, credentials: CentralCredentials, seeded: SeededCentral, folder: Path) -> Path:
    """Save a Central form's "all submissions" CSV zip into ``folder``, as an officer downloads it from the web
    page."""
    path = folder / f"{seeded.form_id}.csv.zip"
    with CentralClient(url, credentials) as client:
        path.write_bytes(client.download(f"projects/{seeded.project_id}/forms/{seeded.form_id}/submissions.csv.zip"))
    return path


def _servers(store: Path) -> list[str]:
    """The servers a store's submissions came from, read without opening (or upgrading) it as a store."""
    conn = sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "sources" in tables:
            return [r[0] for r in conn.execute("SELECT server FROM sources") if r[0]]
        return [r[0] for r in conn.execute("SELECT value FROM meta WHERE key = 'server'")]
    finally:
        conn.close()


def _check_replaceable(store: Path) -> None:
    """The demo recreates its store: refuse when the file holds anything but an earlier demo's (loopback) data."""
    if not store.exists():
        return
    try:
        servers = _servers(store)
    except sqlite3.DatabaseError:
        raise QafError(f"refusing to replace {store}: it is not a qaf-kobo store; give the demo another --store") from None
    for server in servers:
        if urlsplit(server).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise QafError(f"refusing to replace {store}: it holds submissions synced from {server}; "
                           "the demo recreates its store, so give it another --store")


def run_demo(out_dir: Path = Path("reports/demo"), store: Path = Path("data/demo.sqlite"), seed: int = 2026,
             progress: Callable[[str], None] = lambda line: None, fw: Framework | None = None) -> DemoResult:
    """Run the whole job for a framework (default: the QAF) on a local KoboToolbox-compatible server and a local
    ODK Central-compatible one, combined in one store, and write the workbooks to ``out_dir``."""
    fw = fw or default_framework()
    step = iter(range(1, STEPS + 1))
    say = lambda text: progress(f"[{next(step)}/{STEPS}] {text}")  # noqa: E731
    _check_replaceable(store)
    store.parent.mkdir(parents=True, exist_ok=True)
    for stale in (store, store.with_name(store.name + "-wal"), store.with_name(store.name + "-shm")):
        stale.unlink(missing_ok=True)
    with DevServer(token=DEMO_TOKEN) as kobo, CentralDevServer(email=DEMO_EMAIL, password=DEMO_PASSWORD) as central, \
            tempfile.TemporaryDirectory() as tmp:
        say(f"Local servers: KoboToolbox-compatible on {kobo.url}, ODK Central-compatible on {central.url} "
            "(demo credentials, loopback only)")
        say(f"Building the form of {fw.title}: deployed to KoboToolbox through the Kobo client (an older version "
            "first, then the current one), published to ODK Central as XForm XML through the Central client")
        forms = build_demo_forms(Path(tmp), fw)
        seeded = seed_server(kobo, fw, seed, leave_out=CENTRAL_COUNTRIES, forms=forms)
        login = CentralCredentials(central.url, DEMO_EMAIL, DEMO_PASSWORD, "the demo's login")
        synced = [c for c in CENTRAL_COUNTRIES if c not in EXPORTED_COUNTRIES]
        on_central = seed_central(central, login, fw, forms[1].xml, seed, countries=synced)
        exported = seed_central(central, login, fw, forms[1].xml, seed, countries=EXPORTED_COUNTRIES)
        asset_uid = seeded.asset_uid
        say(f"Seeded {len(kobo.submissions(asset_uid))} synthetic assessments into Kobo asset {asset_uid}, "
            f"{on_central.count} ({' and '.join(synced)}) into Central form {on_central.form_id}, and "
            f"{exported.count} ({' and '.join(EXPORTED_COUNTRIES)}) into a second Central project, downloaded by "
            "hand as its CSV zip export")
        first = sync(kobo.url, asset_uid, DEMO_TOKEN, store, source="kobo-demo")
        first_central = sync_central(central.url, on_central.project_id, on_central.form_id, login, store,
                                     source="central-demo")
        export = download_export(central.url, login, exported, Path(tmp))
        imported = import_files([export], store, source="central-export", ref=export.name)
        edit_and_delete(kobo, seeded)
        central.edit_submission(*on_central.to_edit, on_central.project_id, on_central.form_id)
        central.delete_submission(on_central.to_delete, on_central.project_id, on_central.form_id)
        again = sync(kobo.url, asset_uid, DEMO_TOKEN, store, full=True, source="kobo-demo")
        again_central = sync_central(central.url, on_central.project_id, on_central.form_id, login, store,
                                     source="central-demo")
        say(f"Synced into {store}: {first.new} new from Kobo, {first_central.new} from Central, "
            f"{imported.counts.new} imported from the export; then one edit and "
            f"one deletion on each server, found by a full Kobo sync ({again.updated} updated, {again.deleted} "
            f"deleted) and an incremental Central sync ({again_central.updated} updated, {again_central.deleted} "
            "deleted)")
    scores = score(store, out_dir=out_dir, fw=fw)
    n_left_out = int((scores.assessments["left_out"] != "").sum())
    n_sources = scores.assessments["source"].nunique()
    n_not_supported = int((scores.quality["check"] == NOT_SUPPORTED).sum())
    checked = (f" ({n_not_supported} ratings not supported by the evidence figures)"
               if fw.evidence.cross_checks else "")
    say(f"Scored {len(scores.assessments)} assessments from {n_sources} sources: {n_left_out} left out of their "
        f"round's figures (duplicates, dates out of range), {len(scores.quality)} data-quality findings{checked}")
    country = demo_country(scores)
    tracked = 0
    if country:
        with tempfile.TemporaryDirectory(prefix="qaf-demo-plan-") as folder:
            tracked = follow_up_last_plan(scores, fw, store, country, Path(folder))
        say(f"A coordinator filled in {country}'s action plan of its first round and read it back: {tracked} actions "
            "tracked")
    else:
        say("No country has two rounds: no earlier action plan to follow up")
    today = dt.date.today()
    workbooks = write_reports(scores, fw, out_dir, date=today, tracking=tracked_actions(store),
                              first_seen=first_seen_days(store), on_plans=keep_first_seen(store, today))
    shown = "country profiles, consolidated action plans, domains" + (", evidence indicators"
                                                                      if fw.evidence.indicators else "")
    say(f"Wrote {len(workbooks)} workbooks to {out_dir} ({shown})")
    codes = sorted(scores.assessments["country"].dropna().unique())
    countries = [c for c in codes if pycountry.countries.get(alpha_3=c)]
    return DemoResult(store, out_dir, workbooks, countries, [c for c in codes if c not in countries],
                      len(scores.assessments), n_left_out, latest_round_lines(scores, fw), len(scores.quality),
                      n_not_supported,
                      kobo.url, asset_uid,
                      central.url, country, tracked)
