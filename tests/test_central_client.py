"""The Central client over real HTTP against the Central-compatible server: credentials by pyodk's conventions,
clear errors, deploying the XForm XML, paged OData reads, rows in the store's format, incremental reads on the
server's clock, id scans, and faults retried."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from qaf_kobo.central.client import CentralClient, CentralError
from qaf_kobo.central.credentials import CentralCredentials, load_credentials
from qaf_kobo.central.deploy import deploy_form
from qaf_kobo.central.rows import odata_store_row
from qaf_kobo.central.submissions import fetch_one, id_scan, incremental_filter, iter_pages, next_watermark
from qaf_kobo.devserver import DevServer
from qaf_kobo.devserver.central import CentralDevServer
from qaf_kobo.errors import QafError

from central_server import (  # noqa: F401
    EMAIL,
    PASSWORD,
    central,
    credentials,
    mini_form,
    qaf_answers,
    qaf_xform,
    seed,
    write_config,
)


def all_rows(client: CentralClient, pid: int, fid: str, **options) -> list[dict]:
    return [row for page in iter_pages(client, pid, fid, **options) for row in page.rows]


def test_credentials_follow_pyodks_config_conventions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PYODK_CONFIG_FILE", raising=False)
    with pytest.raises(QafError, match=r"\.pyodk_config\.toml does not exist.*PYODK_CONFIG_FILE"):
        load_credentials()
    home = write_config(tmp_path / ".pyodk_config.toml", "https://central.example.org/")
    assert load_credentials().base_url == "https://central.example.org"
    other = write_config(tmp_path / "other.toml", "https://other.example.org/v1")
    monkeypatch.setenv("PYODK_CONFIG_FILE", str(other))
    loaded = load_credentials()
    assert (loaded.base_url, loaded.username, loaded.source) == ("https://other.example.org", EMAIL, str(other))
    assert PASSWORD not in repr(loaded)
    home.chmod(0o644)
    with pytest.raises(QafError, match="has mode 0644; .* must be 0600"):
        load_credentials(home)
    home.write_text(f'[central]\nbase_url = "https://x.org"\nusername = "a"\npassword = "{PASSWORD}\n')
    home.chmod(0o600)
    with pytest.raises(QafError, match="is not valid TOML") as err:
        load_credentials(home)
    assert PASSWORD not in str(err.value)
    home.write_text('[server]\nbase_url = "https://x.org"\n')
    with pytest.raises(QafError, match=r"has no \[central\] table"):
        load_credentials(home)
    home.write_text('[central]\nbase_url = "https://x.org"\nusername = "a"\npassword = ""\n')
    with pytest.raises(QafError, match="has no password"):
        load_credentials(home)


def test_credentials_are_only_sent_to_the_server_they_name(central: CentralDevServer, tmp_path: Path) -> None:
    with CentralDevServer(email=EMAIL, password=PASSWORD) as other:
        creds = load_credentials(write_config(tmp_path / "c.toml", other.url))
        with pytest.raises(QafError, match=f"are for {other.url}, not {central.url}"):
            CentralClient(central.url, creds)
    assert central.request_count("", "POST") == 0


def test_a_wrong_password_is_one_clear_error(central: CentralDevServer, tmp_path: Path) -> None:
    creds = load_credentials(write_config(tmp_path / "c.toml", central.url, password="not-the-password"))
    with pytest.raises(CentralError) as err:
        with CentralClient(central.url, creds):
            pass
    text = str(err.value)
    assert err.value.status == 401 and err.value.code == "401.2" and "\n" not in text
    assert EMAIL in text and str(tmp_path / "c.toml") in text and "not-the-password" not in text


def test_missing_project_or_form_and_a_server_that_is_not_central(central: CentralDevServer,
                                                                   credentials: CentralCredentials,
                                                                   tmp_path: Path) -> None:
    pid, fid, _ = seed(central, 1)
    with CentralClient(central.url, credentials) as client:
        with pytest.raises(CentralError, match="project 42 not found on .* check --project"):
            client.form(42, fid)
        with pytest.raises(CentralError, match="form 'nope' not found in project .* check --form"):
            client.form(pid, "nope")
        assert client.form(pid, fid)["xmlFormId"] == fid
    with DevServer(token="t") as kobo:
        creds = load_credentials(write_config(tmp_path / "k.toml", kobo.url))
        with pytest.raises(CentralError, match="is --server an ODK Central server"):
            CentralClient(kobo.url, creds).__enter__()


def test_deploy_publishes_the_xform_xml_then_new_versions(central: CentralDevServer, credentials: CentralCredentials,
                                                          tmp_path: Path) -> None:
    xform = tmp_path / "qaf_case_management.xml"
    xform.write_text(qaf_xform(), encoding="utf-8")
    pid = central.create_project("Country office")
    with CentralClient(central.url, credentials) as client:
        first = deploy_form(client, xform, pid)
        again = deploy_form(client, xform, pid)
        xform.write_text(qaf_xform().replace("202601010000", "202602010000"), encoding="utf-8")
        newer = deploy_form(client, xform, pid)
    assert (first.form_id, first.created, first.version) == ("qaf_case_management", True, "1.0.0.202601010000")
    assert (again.created, again.version) == (False, "1.0.0.202601010000-2")  # the XML's version was taken
    assert (newer.created, newer.version) == (False, "1.0.0.202602010000")
    form = central.state.form(pid, first.form_id)
    assert [d.schema.version for d in form.published] == [first.version, again.version, newer.version]
    assert form.published[0].schema.xml == qaf_xform()  # the XForm itself, as built (Central converts nothing)
    assert first.links["web form"] == f"{central.url}/-/{form.enketo_id}"
    assert first.links["OData feed"].endswith(f"/v1/projects/{pid}/forms/qaf_case_management.svc")
    assert "web form: " in first.describe() and "new version published" in again.describe()
    posts = [path for method, path in central.requests if method == "POST"]
    assert posts.count(f"/v1/projects/{pid}/forms/qaf_case_management/draft/publish") == 3


def test_pages_follow_next_links_and_rows_take_the_kobo_shape(central: CentralDevServer,
                                                               credentials: CentralCredentials) -> None:
    pid = central.create_project()
    central.create_form(mini_form("7"), pid)
    iid = central.add_submission({"grp/sub/level": "3", "grp/count": "12", "grp/share": "0.50",
                                  "where": "31.9 35.9 800 5",
                                  "people": [{"people/who": "A", "people/age": "30"}, {"people/who": "B"}]}, pid, "mini")
    ids = central.add_submissions([{"grp/count": str(i)} for i in range(24)], pid, "mini")
    with CentralClient(central.url, credentials) as client:
        pages = list(iter_pages(client, pid, "mini", top=10))
        one = fetch_one(client, pid, "mini", iid)
        central.delete_submission(ids[0])
        assert fetch_one(client, pid, "mini", ids[0]) is None
    assert [len(p.rows) for p in pages] == [10, 10, 5] and pages[0].count == 25 and pages[-1].next_link is None
    rows = [odata_store_row(r) for p in pages for r in p.rows]
    assert [r["meta/rootUuid"] for r in rows] == [*reversed(ids), iid]
    row = rows[-1]
    assert one is not None and odata_store_row(one) == row
    answers = {k: v for k, v in row.items() if not k.startswith(("_", "meta/"))}
    assert answers == {"grp/sub/level": "3", "grp/count": "12", "grp/share": "0.5", "where": "31.9 35.9 800 5",
                       "people": [{"people/who": "A", "people/age": "30"}, {"people/who": "B"}]}
    assert (row["meta/instanceID"], row["_uuid"], row["__version__"]) == (iid, iid[5:], "7")
    assert row["_submission_time"] == row["__system/submissionDate"][:19] and row["_validation_status"] == {}


def test_qaf_rows_have_exactly_the_keys_kobo_gives(central: CentralDevServer, credentials: CentralCredentials) -> None:
    pid, fid, ids = seed(central, 5)
    with CentralClient(central.url, credentials) as client:
        rows = {r["meta/rootUuid"]: r for r in map(odata_store_row, all_rows(client, pid, fid))}
    for i, root in enumerate(ids):
        row = rows[root]
        answers = {k: v for k, v in row.items() if not k.startswith(("_", "meta/"))}
        assert answers == qaf_answers(i)


def test_review_states_become_validation_statuses(central: CentralDevServer, credentials: CentralCredentials) -> None:
    pid, fid, ids = seed(central, 4)
    for iid, state in zip(ids, ("approved", "rejected", "hasIssues")):
        central.set_review_state(iid, state)
    with CentralClient(central.url, credentials) as client:
        status = {r["__id"]: odata_store_row(r)["_validation_status"].get("uid") for r in all_rows(client, pid, fid)}
    assert [status[i] for i in ids] == ["validation_status_approved", "validation_status_not_approved",
                                        "validation_status_on_hold", None]


def test_incremental_reads_use_the_servers_clock_and_full_scans_see_restores_and_purges(tmp_path: Path) -> None:
    with CentralDevServer(email=EMAIL, password=PASSWORD, clock_offset=timedelta(hours=-6)) as server:
        creds = load_credentials(write_config(tmp_path / "c.toml", server.url))
        pid, fid, ids = seed(server, 30)
        with CentralClient(server.url, creds) as client:
            first = next(iter_pages(client, pid, fid, top=7))
            mark = next_watermark(first)  # the server's clock (its Date header, 6 h behind ours) minus the margin
            assert first.answered_at is not None and abs(first.answered_at - server.now()) < timedelta(seconds=5)
            new = server.add_submission(qaf_answers(100))
            edited = server.edit_submission(ids[3], {"details/round": "edited round"})
            server.delete_submission(ids[4])
            server.set_review_state(ids[5], "approved")
            changed = {r["__id"]: r for r in all_rows(client, pid, fid, filter=incremental_filter(mark), top=2)}
            # the rows of the first read are within the margin and come again (the store drops them unchanged)
            assert set(changed) == {*ids, new}
            assert changed[ids[3]]["meta"]["instanceID"] == edited
            assert changed[ids[4]]["__system"]["deletedAt"] is not None
            assert changed[ids[5]]["__system"]["reviewState"] == "approved"
            server.advance_clock(timedelta(hours=1))
            mark = next_watermark(next(iter_pages(client, pid, fid, top=1)))
            server.restore_submission(ids[4])
            server.delete_submission(ids[6])
            server.purge_submission(ids[6])
            quiet = all_rows(client, pid, fid, filter=incremental_filter(mark))
            assert quiet == []  # restore and purge move no timestamp
            scan = id_scan(client, pid, fid)
    assert ids[4] in scan and ids[6] not in scan and len(scan) == 30
    assert scan[ids[5]][1] == "approved" and scan[ids[3]][0] is not None


@pytest.mark.parametrize("kind", ["502", "429", "drop", "truncate", "cut"])
def test_faults_on_pages_and_login_are_retried(central: CentralDevServer, credentials: CentralCredentials,
                                               kind: str) -> None:
    pid, fid, ids = seed(central, 12)
    central.inject_fault(kind, times=2, path="/v1/sessions")
    central.inject_fault(kind, times=2, path=".svc/", after=1)
    with CentralClient(central.url, credentials, backoff=0.01) as client:
        rows = all_rows(client, pid, fid, top=5)
    assert sorted(r["__id"] for r in rows) == sorted(ids)


def test_a_fault_that_does_not_end_is_one_clear_error(central: CentralDevServer, credentials: CentralCredentials) -> None:
    pid, fid, _ = seed(central, 3)
    central.inject_fault("502", times=100)
    with CentralClient(central.url, credentials, retries=2, backoff=0.01) as client:
        with pytest.raises(CentralError, match=r"GET /v1/projects/\d+/forms/.*\.svc/Submissions failed: HTTP 502") as err:
            all_rows(client, pid, fid)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("kind", ["502", "cut"])
def test_an_export_is_downloaded_whole_through_faults(central: CentralDevServer, credentials: CentralCredentials,
                                                      kind: str) -> None:
    import io
    import zipfile

    pid, fid, ids = seed(central, 6)
    path = f"projects/{pid}/forms/{fid}/submissions.csv.zip"
    central.inject_fault(kind, times=2, path="submissions.csv.zip")
    with CentralClient(central.url, credentials, backoff=0.01) as client:
        data = client.download(path)
        with pytest.raises(CentralError, match="HTTP 404"):
            client.download(f"projects/{pid}/forms/no_such_form/submissions.csv.zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        table = archive.read(f"{fid}.csv").decode("utf-8")
    assert all(iid in table for iid in ids) and PASSWORD not in table
    assert [p for _, p in central.requests].count(f"/v1/{path}") == 3  # two faults, then the whole file


def test_dropped_connections_to_central_are_not_called_unreachable(central: CentralDevServer,
                                                                   credentials: CentralCredentials) -> None:
    pid, fid, _ = seed(central, 3)
    central.inject_fault("drop", times=100, path=".svc/")
    with CentralClient(central.url, credentials, retries=2, backoff=0.01) as client:
        with pytest.raises(CentralError) as err:
            all_rows(client, pid, fid)
    assert str(err.value) == (f"{central.url} closed the connection without answering GET /v1/projects/{pid}/forms/"
                              f"{fid}.svc/Submissions, 3 times in a row (the server or a proxy in front of it is "
                              "failing; try again later)")
