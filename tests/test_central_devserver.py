"""The Central-compatible server follows what was measured on a real Central backend (v2026.2), over real HTTP:
sessions, forms from XForm XML with drafts and versions, OData paging / filters / edits / soft delete / restore /
purge / review states, OpenRosa submissions, and the server's own clock."""

from __future__ import annotations

import email.utils
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from qaf_kobo.devserver.central import CentralDevServer
from qaf_kobo.devserver.central.odata import parse_skiptoken

from central_server import (  # noqa: F401
    EMAIL,
    PASSWORD,
    central,
    mini_form,
    odata,
    qaf_answers,
    qaf_form,
    qaf_xform,
    seed,
    session,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def follow(http: requests.Session, first: requests.Response) -> list[dict]:
    """Every row of a paged answer, following @odata.nextLink."""
    body = first.json()
    rows = list(body["value"])
    while "@odata.nextLink" in body:
        body = http.get(body["@odata.nextLink"], timeout=30).json()
        rows += body["value"]
    return rows


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_session_login_bearer_and_the_errors_of_central(central: CentralDevServer) -> None:
    ok = requests.post(f"{central.url}/v1/sessions", json={"email": EMAIL, "password": PASSWORD}, timeout=10)
    assert ok.status_code == 200 and len(ok.json()["token"]) == 64 and ok.json()["expiresAt"].endswith("Z")
    bad = requests.post(f"{central.url}/v1/sessions", json={"email": EMAIL, "password": "wrong"}, timeout=10)
    unknown = requests.post(f"{central.url}/v1/sessions", json={"email": "x@y.z", "password": PASSWORD}, timeout=10)
    assert bad.status_code == unknown.status_code == 401 and bad.json() == unknown.json()
    assert bad.json()["code"] == 401.2
    me = requests.get(f"{central.url}/v1/users/current", headers={"Authorization": f"Bearer {ok.json()['token']}"},
                      timeout=10)
    assert me.json()["email"] == EMAIL
    forged = requests.get(f"{central.url}/v1/projects", headers={"Authorization": "Bearer nope"}, timeout=10)
    anonymous = requests.get(f"{central.url}/v1/projects", timeout=10)
    assert (forged.status_code, forged.json()["code"]) == (401, 401.2)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, 401.2)  # as Central: no login, 401.2
    assert requests.get(f"{central.url}/projects", timeout=10).json()["code"] == 404.2
    http = session(central)
    assert http.get(f"{central.url}/v1/projects/99", timeout=10).json()["code"] == 404.1
    assert http.delete(f"{central.url}/v1/sessions/current", timeout=10).json() == {"success": True}
    assert http.get(f"{central.url}/v1/projects", timeout=10).status_code == 401  # logged out


def test_forms_from_xform_xml_drafts_and_versions(central: CentralDevServer) -> None:
    http = session(central)
    pid = http.post(f"{central.url}/v1/projects", json={"name": "P"}, timeout=10).json()["id"]
    forms = f"{central.url}/v1/projects/{pid}/forms"
    xlsx = http.post(forms, data=b"PK\x03\x04", headers={"Content-Type": XLSX}, timeout=10)
    assert (xlsx.status_code, xlsx.json()["code"]) == (501, 501.3)  # no XLSForm conversion service here
    draft = http.post(forms, params={"publish": "false"}, data=mini_form("1"), headers={"Content-Type": "application/xml"},
                      timeout=10).json()
    assert (draft["xmlFormId"], draft["publishedAt"], draft["version"]) == ("mini", None, "1")
    assert http.post(f"{forms}/mini/draft/publish", timeout=10).json() == {"success": True}
    again = http.post(forms, data=mini_form("1"), headers={"Content-Type": "application/xml"}, timeout=10)
    assert (again.status_code, again.json()["code"]) == (409, 409.3)
    # a new version: draft from XML, published with a new version string (the XML's is rewritten)
    assert http.post(f"{forms}/mini/draft", data=mini_form("1"), timeout=10).json() == {"success": True}
    used = http.post(f"{forms}/mini/draft/publish", timeout=10)
    assert (used.status_code, used.json()["code"]) == (409, 409.6)
    assert http.post(f"{forms}/mini/draft/publish", params={"version": "2"}, timeout=10).json() == {"success": True}
    form = http.get(f"{forms}/mini", timeout=10).json()
    assert form["version"] == "2" and form["publishedAt"] and form["enketoId"]
    assert 'version="2"' in http.get(f"{forms}/mini.xml", timeout=10).text
    assert [v["version"] for v in http.get(f"{forms}/mini/versions", timeout=10).json()] == ["2", "1"]
    other = mini_form("3").replace('id="mini"', 'id="other"')
    wrong = http.post(f"{forms}/mini/draft", data=other, timeout=10)
    assert (wrong.status_code, wrong.json()["code"]) == (400, 400.8)


def test_odata_pages_newest_first_by_skiptoken_until_no_next_link(central: CentralDevServer) -> None:
    pid, fid, ids = seed(central, 25)
    http = session(central)
    first = odata(http, central, pid, fid, top=10, count="true")
    body = first.json()
    assert first.headers["OData-Version"] == "4.0" and body["@odata.count"] == 25 and len(body["value"]) == 10
    link = body["@odata.nextLink"]
    assert "%24skiptoken=01" in link and "%24top=10" in link
    token = requests.utils.unquote(link.split("%24skiptoken=")[1])
    assert parse_skiptoken(token) == {"instanceId": body["value"][-1]["__id"]}
    rows = follow(http, first)
    assert [r["__id"] for r in rows] == list(reversed(ids))  # newest first, each once
    dates = [moment(r["__system"]["submissionDate"]) for r in rows]
    assert dates == sorted(dates, reverse=True)
    last = http.get(link, timeout=10).json()
    assert "@odata.nextLink" in last  # 10 of the remaining 15, then a last page without a link
    assert "@odata.nextLink" not in http.get(last["@odata.nextLink"], timeout=10).json()


def test_orderby_with_top_makes_a_next_link_that_fails_with_501_1(central: CentralDevServer) -> None:
    pid, fid, ids = seed(central, 5)
    http = session(central)
    first = odata(http, central, pid, fid, top=2, orderby="__system/submissionDate asc")
    body = first.json()
    assert [r["__id"] for r in body["value"]] == ids[:2]  # the order is honoured on the first page
    failed = http.get(body["@odata.nextLink"], timeout=10)
    assert (failed.status_code, failed.json()["code"]) == (501, 501.1)
    assert "$orderby and $skiptoken" in failed.json()["message"]


def test_an_edit_keeps_id_sets_instance_and_deprecated_ids_updated_at_edits_and_review_state(
        central: CentralDevServer) -> None:
    pid, fid, ids = seed(central, 3)
    central.advance_clock(timedelta(seconds=5))
    new_instance = central.edit_submission(ids[1], {qaf_form().key("agency"): "Edited agency"})
    http = session(central)
    row = next(r for r in odata(http, central, pid, fid).json()["value"] if r["__id"] == ids[1])
    assert row["__id"] == ids[1] != new_instance
    assert row["meta"]["instanceID"] == new_instance and "deprecatedID" not in row["meta"]  # Central's OData never shows meta/deprecatedID
    assert row["details_scope"]["agency"] == "Edited agency"
    system = row["__system"]
    assert (system["edits"], system["reviewState"]) == (1, "edited")
    assert moment(system["updatedAt"]) >= moment(system["submissionDate"]) + timedelta(seconds=5)
    # editing an older version again is refused, as in Central
    stale = central.state.edit_xml(central.state.form(pid, fid), ids[1], {}).replace(
        new_instance.encode(), ids[1].encode(), 1)
    put = http.put(f"{central.url}/v1/projects/{pid}/forms/{fid}/submissions/{ids[1]}", data=stale, timeout=10)
    assert put.json()["code"] in (409.8, 409.9)


def test_soft_delete_restore_and_purge(central: CentralDevServer) -> None:
    pid, fid, ids = seed(central, 4)
    central.set_review_state(ids[0], "approved")
    http = session(central)
    before = odata(http, central, pid, fid).json()["value"]
    updated = {r["__id"]: r["__system"]["updatedAt"] for r in before}
    central.advance_clock(timedelta(seconds=3))
    deleted = http.delete(f"{central.url}/v1/projects/{pid}/forms/{fid}/submissions/{ids[0]}", timeout=10)
    assert deleted.json() == {"success": True}
    assert ids[0] not in [r["__id"] for r in odata(http, central, pid, fid).json()["value"]]  # hidden
    with_deleted = odata(http, central, pid, fid, filter="__system/deletedAt ne null").json()["value"]
    assert [r["__id"] for r in with_deleted] == [ids[0]]
    assert with_deleted[0]["__system"]["updatedAt"] == updated[ids[0]]  # delete does not touch updatedAt
    assert with_deleted[0]["__system"]["deletedAt"] is not None
    assert http.get(f"{central.url}/v1/projects/{pid}/forms/{fid}.svc/Submissions('{ids[0]}')",
                    timeout=10).status_code == 404
    restored = http.post(f"{central.url}/v1/projects/{pid}/forms/{fid}/submissions/{ids[0]}/restore", timeout=10)
    assert restored.json() == {"success": True}
    row = next(r for r in odata(http, central, pid, fid).json()["value"] if r["__id"] == ids[0])
    assert row["__system"]["deletedAt"] is None and row["__system"]["updatedAt"] == updated[ids[0]]
    # purge: gone entirely, even for a filter on deletedAt; the nightly purge waits 30 days
    central.delete_submission(ids[1])
    assert central.purge_expired() == 0
    central.advance_clock(timedelta(days=31))
    assert central.purge_expired() == 1
    assert odata(http, central, pid, fid).status_code == 401  # a session lasts a day
    http = session(central)
    everything = odata(http, central, pid, fid, filter="__system/deletedAt eq null or __system/deletedAt ne null")
    assert ids[1] not in [r["__id"] for r in everything.json()["value"]] and len(everything.json()["value"]) == 3


def test_incremental_filter_on_server_timestamps_is_inclusive_with_ge(central: CentralDevServer) -> None:
    pid, fid, ids = seed(central, 3)
    http = session(central)
    rows = odata(http, central, pid, fid).json()["value"]
    watermark = max(r["__system"]["submissionDate"] for r in rows)
    central.freeze_clock(central.now() + timedelta(seconds=1))
    new = central.add_submission(qaf_answers(50))
    central.delete_submission(ids[0])  # deletedAt in the same millisecond as the new row's submissionDate
    central.set_review_state(ids[1], "rejected")
    central.freeze_clock(None)
    both = f"__system/submissionDate ge {watermark} or __system/updatedAt ge {watermark} or __system/deletedAt ge {watermark}"
    found = {r["__id"]: r["__system"] for r in odata(http, central, pid, fid, filter=both).json()["value"]}
    assert set(found) == {ids[2], new, ids[0], ids[1]}  # ge includes the row at the watermark itself
    assert found[ids[0]]["deletedAt"] == found[new]["submissionDate"]  # one millisecond, two events
    assert found[ids[1]]["reviewState"] == "rejected" and found[ids[1]]["updatedAt"] == found[new]["submissionDate"]
    gt = both.replace(" ge ", " gt ")
    assert ids[2] not in {r["__id"] for r in odata(http, central, pid, fid, filter=gt).json()["value"]}
    without_deleted = odata(http, central, pid, fid, filter=f"__system/submissionDate ge {watermark}").json()["value"]
    assert ids[0] not in {r["__id"] for r in without_deleted}  # no mention of deletedAt: deleted rows stay hidden


def test_filter_and_option_errors_are_central_problems(central: CentralDevServer) -> None:
    pid, fid, _ = seed(central, 1)
    http = session(central)
    assert odata(http, central, pid, fid, filter="details_scope/country eq 'JOR'").json()["code"] == 501.5
    assert odata(http, central, pid, fid, filter="__system/updatedAt ge").json()["code"] == 400.18
    assert odata(http, central, pid, fid, search="x", apply="y").json()["code"] == 501.1
    assert odata(http, central, pid, fid, expand="meta").json()["code"] == 501.6
    assert odata(http, central, pid, fid, select="nope").json()["code"] == 400.23
    ok = odata(http, central, pid, fid, filter="year(__system/submissionDate) ge 2020 and not (__system/reviewState eq 'x')")
    assert len(ok.json()["value"]) == 1


def test_select_for_an_id_scan_and_a_cursor_that_was_purged(central: CentralDevServer) -> None:
    pid, fid, ids = seed(central, 6)
    http = session(central)
    scan = odata(http, central, pid, fid, select="__id,__system/updatedAt,__system/reviewState").json()["value"]
    assert scan[0] == {"__id": ids[-1], "__system": {"updatedAt": None, "reviewState": None}}
    page = odata(http, central, pid, fid, top=2).json()
    central.delete_submission(page["value"][-1]["__id"])  # the cursor row: deleted, not purged — paging goes on
    assert len(http.get(page["@odata.nextLink"], timeout=10).json()["value"]) == 2
    central.purge_submission(page["value"][-1]["__id"])  # purged: Central finds nothing after it
    assert http.get(page["@odata.nextLink"], timeout=10).json()["value"] == []


def test_review_states_by_patch_and_the_submission_list(central: CentralDevServer) -> None:
    pid, fid, ids = seed(central, 2)
    http = session(central)
    url = f"{central.url}/v1/projects/{pid}/forms/{fid}/submissions"
    for state in ("approved", "rejected", "hasIssues"):
        assert http.patch(f"{url}/{ids[0]}", json={"reviewState": state}, timeout=10).json()["reviewState"] == state
    bad = http.patch(f"{url}/{ids[0]}", json={"reviewState": "great"}, timeout=10).json()
    assert (bad["code"], bad["details"]["field"]) == (400.8, "state")  # Central names the column
    listing = http.get(url, timeout=10).json()
    assert "instanceName" not in listing[0]  # as Central's list
    assert [s["instanceId"] for s in listing] == [ids[1], ids[0]] and listing[1]["updatedAt"]


def test_openrosa_submissions_with_a_session_or_an_app_user_key(central: CentralDevServer) -> None:
    pid = central.create_project()
    central.create_form(mini_form("1"), pid)
    http = session(central)
    url = f"{central.url}/v1/projects/{pid}/submission"
    headers = {"X-OpenRosa-Version": "1.0"}
    xml = ('<data id="mini" version="1"><grp><sub><level>3</level></sub><count>7</count></grp>'
           '<meta><instanceID>uuid:or-1</instanceID></meta></data>')

    def post(body: str, via: requests.Session | None = None, to: str = url) -> requests.Response:
        return (via or http).post(to, headers=headers, files={"xml_submission_file": ("s.xml", body, "text/xml")},
                                  timeout=10)

    assert http.head(url, headers=headers, timeout=10).status_code == 204
    created = post(xml)
    assert created.status_code == 201 and "successful" in created.text
    assert post(xml).status_code == 201  # the same XML again (as Collect resends for media)
    assert post(xml.replace("7", "8")).status_code == 409
    assert http.post(url, files={"xml_submission_file": ("s.xml", xml)}, timeout=10).status_code == 400  # no header
    key = central.add_app_user(pid)
    by_app_user = post(xml.replace("or-1", "or-2"), requests.Session(), f"{central.url}/v1/key/{key}/projects/{pid}/submission")
    assert by_app_user.status_code == 201
    assert post(xml.replace("or-1", "or-3"), requests.Session()).status_code == 401  # anonymous
    edit = xml.replace("uuid:or-1</instanceID>", "uuid:or-1b</instanceID><deprecatedID>uuid:or-1</deprecatedID>")
    assert post(edit.replace("<level>3", "<level>4")).status_code == 201
    rows = {r["__id"]: r for r in odata(http, central, pid, "mini", expand="*").json()["value"]}
    assert set(rows) == {"uuid:or-1", "uuid:or-2"}
    assert rows["uuid:or-1"]["grp"] == {"sub": {"level": "4"}, "count": 7, "share": None}
    assert rows["uuid:or-1"]["meta"] == {"instanceID": "uuid:or-1b"}


def test_typed_values_repeats_expanded_or_linked(central: CentralDevServer) -> None:
    pid = central.create_project()
    central.create_form(mini_form("1"), pid)
    iid = central.add_submission({"grp/count": "12", "grp/share": "0.50", "where": "31.9 35.9 800 5",
                                  "people": [{"people/who": "A", "people/age": "30"}, {"people/who": "B"}]}, pid, "mini")
    http = session(central)
    linked = odata(http, central, pid, "mini").json()["value"][0]
    assert "people" not in linked and linked["people@odata.navigationLink"] == f"Submissions('{iid}')/people"
    row = odata(http, central, pid, "mini", expand="*").json()["value"][0]
    assert row["grp"]["count"] == 12 and row["grp"]["share"] == 0.5
    assert row["where"] == {"type": "Point", "coordinates": [35.9, 31.9, 800], "properties": {"accuracy": 5}}
    assert [(p["who"], p["age"]) for p in row["people"]] == [("A", 30), ("B", None)]
    assert len({p["__id"] for p in row["people"]}) == 2


def test_timestamps_come_from_the_servers_clock_in_milliseconds() -> None:
    with CentralDevServer(email=EMAIL, password=PASSWORD, clock_offset=timedelta(hours=-5)) as server:
        pid, fid, _ = seed(server, 1)
        row = odata(session(server), server, pid, fid).json()["value"][0]
    stamp = row["__system"]["submissionDate"]
    assert len(stamp) == len("2026-03-01T10:00:00.123Z") and stamp.endswith("Z")
    behind = datetime.now(timezone.utc) - moment(stamp)
    assert timedelta(hours=4, minutes=59) < behind < timedelta(hours=5, minutes=1)


def test_the_qaf_form_round_trips_through_odata(central: CentralDevServer) -> None:
    pid, fid, ids = seed(central, 1)
    row = odata(session(central), central, pid, fid).json()["value"][0]
    answers = qaf_answers(0)
    country = qaf_form().key("country").split("/")
    assert row[country[0]][country[1]] == answers[qaf_form().key("country")]
    assert row["meta"]["instanceID"] == ids[0] and row["__system"]["formVersion"] == "1.0.0.202601010000"
    assert qaf_xform().count("<h:title>") == 1


def test_answers_follow_the_real_central_where_it_was_measured(tmp_path: Path) -> None:
    """Central v2026.2 behind a proxy: next links on its configured domain, 400.35 for a bad $skiptoken, 409.9
    before the form version on an edit, JSON with ``charset=utf-8``, the Date header from the server's clock."""
    public = "https://central.example.org"
    with CentralDevServer(email=EMAIL, password=PASSWORD, public_url=public, clock_offset=timedelta(hours=-3)) as srv:
        pid, fid, ids = seed(srv, 3)
        srv.edit_submission(ids[0], {})
        http = session(srv)
        first = odata(http, srv, pid, fid, top=1)
        assert first.json()["@odata.nextLink"].startswith(f"{public}/v1/projects/{pid}/forms/{fid}.svc/Submissions?")
        assert first.json()["@odata.context"].startswith(public + "/")
        assert first.headers["Content-Type"] == "application/json; charset=utf-8"
        served = email.utils.parsedate_to_datetime(first.headers["Date"])
        assert abs(served - srv.now()) < timedelta(seconds=5)
        bad = odata(http, srv, pid, fid, skiptoken="01notbase64!").json()
        assert (bad["code"], bad["message"]) == (400.35, "Invalid $skiptoken")
        # an edit of an outdated version with an unknown form version: 409.9 (the version edited) comes first
        stale = srv.state.edit_xml(srv.state.form(pid, fid), ids[0], {}).replace(
            srv.submission(ids[0]).current.instance_id.encode(), ids[0].encode())
        stale = stale.replace(b'version="', b'version="nope-', 1)
        answer = http.post(f"{srv.url}/v1/projects/{pid}/submission", headers={"X-OpenRosa-Version": "1.0"},
                           files={"xml_submission_file": ("s.xml", stale, "text/xml")}, timeout=10)
        assert answer.status_code == 409 and "out of date" in answer.text
