"""The KoboToolbox-compatible devserver behaves as the KPI reference says (/data/ rules, OpenRosa submissions)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
import requests

from qaf_kobo.devserver import DevServer

from kobo_server import TOKEN, kobo, qaf_form, seed  # noqa: F401

H = {"Authorization": f"Token {TOKEN}", "Accept": "application/json"}


def small_xlsform(path: Path, version: str = "2026010101", title: str = "Mini QAF", bad: bool = False) -> Path:
    """A tiny XLSForm with a group and a repeat (``bad`` adds an unknown question type)."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    rows = [("type", "name", "label"), ("begin_group", "s_1", "Section 1"), ("select_one level", "c_1_1", "C 1.1"),
            ("text", "notes_1", "Notes"), ("end_group", "", ""), ("begin_repeat", "people", "People"),
            ("text", "who", "Who"), ("end_repeat", "", ""), ("integer", "age", "Age")]
    if bad:
        rows.append(("no_such_type", "oops", "Oops"))
    for r in rows:
        survey.append(r)
    choices = book.create_sheet("choices")
    for r in [("list_name", "name", "label"), ("level", "1", "One"), ("level", "2", "Two")]:
        choices.append(r)
    settings = book.create_sheet("settings")
    settings.append(("form_title", "form_id", "version"))
    settings.append((title, "mini_qaf", version))
    book.save(path)
    return path


def data(server: DevServer, uid: str, **params: str) -> requests.Response:
    return requests.get(f"{server.url}/api/v2/assets/{uid}/data/", headers=H, params=params, timeout=10)


def submit(server: DevServer, xml: str | bytes, headers: dict[str, str] | None = H) -> requests.Response:
    """POST an OpenRosa submission (with the token unless ``headers`` says otherwise)."""
    return requests.post(f"{server.url}/submission", headers=headers,
                         files={"xml_submission_file": ("s.xml", xml, "text/xml")}, timeout=30)


def test_default_page_100_cap_and_links(kobo: DevServer) -> None:
    uid = seed(kobo, 250)
    body = data(kobo, uid).json()
    assert (body["count"], len(body["results"]), body["previous"]) == (250, 100, None)
    assert body["next"].endswith("start=100") and "limit=100" in body["next"]
    assert len(data(kobo, uid, limit="5000").json()["results"]) == 250  # capped at 1000: all 250 here
    kobo.max_page_size = 30
    capped = data(kobo, uid, limit="1000", query='{"_id": {"$gt": 0}}').json()
    assert len(capped["results"]) == 30 and "query=" in capped["next"]
    second = requests.get(capped["next"], headers=H, timeout=10).json()
    assert second["results"][0]["_id"] == capped["results"][-1]["_id"] + 1 and second["previous"] is not None
    for bad in ({"limit": "0"}, {"limit": "x"}, {"count": "1"}, {"query": "{bad"}, {"sort": "[1]"}, {"fields": "{}"}):
        assert data(kobo, uid, **bad).status_code == 400, bad


def test_query_operators_sort_and_fields(kobo: DevServer) -> None:
    uid = kobo.create_asset()
    for i in range(10):
        kobo.add_submission({"n": i, "grp/name": f"name{i}", **({"opt": "x"} if i % 2 else {})}, uid)
    rows = kobo.submissions(uid)
    assert rows[0]["n"] == "0" and "opt" not in rows[0]  # answers are strings, unanswered keys omitted

    def ids(query: dict, **extra: str) -> list[int]:
        got = data(kobo, uid, query=json.dumps(query), **extra).json()["results"]
        return [r["_id"] for r in got]

    first = rows[0]["_id"]
    assert ids({"_id": {"$gt": first + 7}}) == [first + 8, first + 9]
    assert ids({"n": {"$in": ["1", "3"]}}) == [first + 1, first + 3]
    assert len(ids({"n": {"$nin": ["1", "3"]}})) == 8
    assert len(ids({"opt": {"$exists": False}})) == 5
    assert len(ids({"opt": {"$ne": "x"}})) == 5
    assert ids({"$or": [{"n": "1"}, {"n": "2"}]}) == [first + 1, first + 2]
    assert ids({"$and": [{"n": {"$gte": "8"}}, {"n": {"$lte": "9"}}]}) == [first + 8, first + 9]
    assert ids({"n": {"$eq": "1"}}) == [] and ids({"grp.name": "name1"}) == []  # silently nothing, as in KPI
    assert ids({"n": {"$gt": 5}}) == []  # strings never compare with numbers
    kobo.set_validation_status(rows[4]["meta/rootUuid"], "validation_status_approved", uid)
    assert ids({"_validation_status.uid": "validation_status_approved"}) == [first + 4]
    assert ids({}, sort='{"_id": -1}', limit="2") == [first + 9, first + 8]
    projected = data(kobo, uid, fields='["n"]', limit="1").json()["results"][0]
    assert set(projected) == {"n", "_id", "_uuid", "meta/rootUuid", "_validation_status"}
    assert data(kobo, uid, query='{"$expr": {}}').status_code == 400


def test_edits_keep_identity_and_deletes_are_hard(kobo: DevServer) -> None:
    uid = seed(kobo, 3)
    before = kobo.submissions(uid)[1]
    criterion = qaf_form().key("c_1_1")
    after = kobo.edit_submission(before["meta/rootUuid"], {criterion: 4}, uid)
    assert after["_uuid"] != before["_uuid"] and after[criterion] == "4"
    for key in ("_id", "meta/rootUuid", "_submission_time"):
        assert after[key] == before[key]
    assert after["meta/deprecatedID"] == before["meta/instanceID"]
    kobo.delete_submission(before["meta/rootUuid"], uid)
    assert data(kobo, uid).json()["count"] == 2


def test_auth_rules(kobo: DevServer) -> None:
    uid = seed(kobo, 1)
    assert requests.get(f"{kobo.url}/api/v2/assets/{uid}/", timeout=10).status_code == 404
    bad = requests.get(f"{kobo.url}/api/v2/assets/{uid}/", headers={"Authorization": "Token nope"}, timeout=10)
    assert (bad.status_code, bad.json()) == (401, {"detail": "Invalid token."})
    assert requests.get(f"{kobo.url}/api/v2/assets/", timeout=10).json()["count"] == 0
    listed = requests.get(f"{kobo.url}/api/v2/assets/", headers=H, params={"q": "asset_type:survey"}, timeout=10).json()
    assert [a["uid"] for a in listed["results"]] == [uid]


def test_import_deploy_and_openrosa_submissions(kobo: DevServer, tmp_path: Path) -> None:
    xlsx = small_xlsform(tmp_path / "mini.xlsx")
    post = requests.post(f"{kobo.url}/api/v2/imports/", headers=H, timeout=30,
                         data={"library": "false", "name": "mini"}, files={"file": ("mini.xlsx", xlsx.read_bytes())})
    assert post.status_code == 201 and post.json()["status"] == "processing"
    first = requests.get(post.json()["url"], headers=H, timeout=10).json()
    assert first["status"] == "processing"
    for _ in range(50):
        task = requests.get(post.json()["url"], headers=H, timeout=10).json()
        if task["status"] != "processing":
            break
        time.sleep(0.1)
    assert task["status"] == "complete"
    uid = task["messages"]["created"][0]["uid"]
    asset_url = f"{kobo.url}/api/v2/assets/{uid}/"
    asset = requests.get(asset_url, headers=H, timeout=10).json()
    assert (asset["name"], asset["asset_type"], asset["has_deployment"]) == ("Mini QAF", "survey", False)
    assert data(kobo, uid).status_code == 400  # not deployed
    deployed = requests.post(asset_url + "deployment/", headers=H, json={"active": True}, timeout=10)
    assert deployed.status_code == 200 and deployed.json()["active"] is True
    assert requests.post(asset_url + "deployment/", headers=H, json={"active": True}, timeout=10).status_code == 405
    stale = requests.patch(asset_url + "deployment/", headers=H, json={"version_id": "vOld", "active": True}, timeout=10)
    assert stale.status_code == 500  # KPI: NotImplementedError('Only the current version_id can be deployed')
    archived = requests.patch(asset_url + "deployment/", headers=H, json={"active": False}, timeout=10).json()
    assert archived["active"] is False and archived["version_id"] == asset["version_id"]
    requests.patch(asset_url + "deployment/", headers=H, json={"active": True}, timeout=10)
    xform = requests.get(asset_url + "xform/", headers=H, timeout=10)
    assert xform.ok and 'id="mini_qaf"' in xform.text

    xml = ('<data id="mini_qaf" version="2026010101"><s_1><c_1_1>2</c_1_1><notes_1/></s_1>'
           '<people><who>Ann</who></people><people><who>Bo</who></people><age>42</age>'
           '<meta><instanceID>uuid:aaa-1</instanceID></meta></data>')
    sent = submit(kobo, xml)
    assert sent.status_code == 201 and "submit_success" in sent.text
    assert submit(kobo, xml).status_code == 202  # a duplicate
    row = data(kobo, uid).json()["results"][0]
    assert row["s_1/c_1_1"] == "2" and "s_1/notes_1" not in row and row["age"] == "42"
    assert row["people"] == [{"people/who": "Ann"}, {"people/who": "Bo"}]
    assert (row["_uuid"], row["meta/rootUuid"], row["__version__"]) == ("aaa-1", "uuid:aaa-1", asset["version_id"])
    assert len(row["_submission_time"]) == 19 and row["_validation_status"] == {}

    edit = xml.replace("<age>42</age>", "<age>43</age>").replace(
        "<instanceID>uuid:aaa-1</instanceID>", "<instanceID>uuid:aaa-2</instanceID><deprecatedID>uuid:aaa-1</deprecatedID>")
    assert submit(kobo, edit).ok
    rows = data(kobo, uid).json()["results"]
    assert len(rows) == 1 and rows[0]["age"] == "43" and rows[0]["_uuid"] == "aaa-2"
    assert (rows[0]["_id"], rows[0]["meta/rootUuid"], rows[0]["_submission_time"]) == (
        row["_id"], "uuid:aaa-1", row["_submission_time"])
    for bad in ("<data id='mini_qaf'><age>1</data>", "not xml at all"):
        refused = submit(kobo, bad)
        assert refused.status_code == 400 and "Improperly formatted XML." in refused.text
    assert len(data(kobo, uid).json()["results"]) == 1


def test_import_without_library_false_makes_a_block_and_conversion_errors_are_reported(kobo: DevServer,
                                                                                     tmp_path: Path) -> None:
    def run_import(fields: dict, xlsx: Path) -> dict:
        post = requests.post(f"{kobo.url}/api/v2/imports/", headers=H, data=fields,
                             files={"file": (xlsx.name, xlsx.read_bytes())}, timeout=30).json()
        for _ in range(100):
            task = requests.get(post["url"], headers=H, timeout=10).json()
            if task["status"] not in ("processing", "created"):
                return task
            time.sleep(0.05)
        raise AssertionError("import never finished")

    block = run_import({"name": "x"}, small_xlsform(tmp_path / "a.xlsx"))
    uid = block["messages"]["created"][0]["uid"]
    assert requests.get(f"{kobo.url}/api/v2/assets/{uid}/", headers=H, timeout=10).json()["asset_type"] == "block"
    refused = requests.post(f"{kobo.url}/api/v2/assets/{uid}/deployment/", headers=H, json={"active": True}, timeout=10)
    assert refused.status_code == 400
    failed = run_import({"name": "x", "library": "false"}, small_xlsform(tmp_path / "b.xlsx", bad=True))
    assert failed["status"] == "error" and "no_such_type" in failed["messages"]["error"]
    assert failed["messages"]["error_type"]


def test_static_folders_are_served_from_the_same_origin(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>enketo</h1>")
    with DevServer(token=TOKEN, static={"/enketo/": tmp_path}) as server:
        assert requests.get(f"{server.url}/enketo/index.html", timeout=10).text == "<h1>enketo</h1>"
        assert requests.head(f"{server.url}/submission", timeout=10).status_code == 204


def test_latency_is_added(kobo: DevServer) -> None:
    kobo.latency = 0.2
    began = time.monotonic()
    requests.get(f"{kobo.url}/me/", headers=H, timeout=10)
    assert time.monotonic() - began >= 0.2


def test_add_submission_fills_kpi_metadata(kobo: DevServer) -> None:
    uid = kobo.create_asset()
    row = kobo.add_submission({"q": 3, "empty": "", "none": None, "rep": [{"rep/x": 1}]}, uid)
    assert row["q"] == "3" and "empty" not in row and "none" not in row and row["rep"] == [{"rep/x": "1"}]
    assert row["meta/rootUuid"] == "uuid:" + row["_uuid"] == row["meta/instanceID"]
    with pytest.raises(KeyError):
        kobo.delete_submission("uuid:nope", uid)


def test_cli_devserver_serves_with_a_0600_token_file(tmp_path: Path) -> None:
    token_file = tmp_path / "devserver.token"
    env = {k: v for k, v in os.environ.items() if k != "KOBO_TOKEN"}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("qaf-kobo")), "devserver", "--port", "0",
                             "--token-out", str(token_file), "--seed-demo"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("KoboToolbox-compatible server on http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split()[3]
        token = token_file.read_text().strip()
        assert token not in line and token_file.stat().st_mode & 0o777 == 0o600
        me = requests.get(f"{url}/me/", headers={"Authorization": f"Token {token}"}, timeout=10)
        assert me.json() == {"username": "qaf"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


MINI = ('<data id="mini_qaf" version="2026010101"><age>{age}</age>{extra}'
        '<meta><instanceID>uuid:{instance}</instanceID></meta></data>')


@pytest.fixture
def mini(kobo: DevServer, tmp_path: Path) -> str:
    """A deployed asset with the small XLSForm (form id ``mini_qaf``), accepting OpenRosa submissions."""
    return kobo.create_asset("Mini QAF", xlsx=small_xlsform(tmp_path / "mini.xlsx"))


def test_submissions_need_the_token_unless_anonymous_ones_are_allowed(kobo: DevServer, mini: str,
                                                                       tmp_path: Path) -> None:
    anonymous = submit(kobo, MINI.format(age=1, extra="", instance="anon-1"), headers=None)
    assert anonymous.status_code == 401 and "Authentication required." in anonymous.text
    assert anonymous.headers["X-OpenRosa-Version"] == "1.0"
    wrong = submit(kobo, MINI.format(age=1, extra="", instance="anon-1"), headers={"Authorization": "Token nope"})
    assert wrong.status_code == 401 and "Invalid token." in wrong.text and "nope" not in wrong.text
    assert kobo.submissions(mini) == []
    assert submit(kobo, MINI.format(age=1, extra="", instance="tok-1")).status_code == 201
    assert kobo.submissions(mini)[0]["_submitted_by"] == "qaf"

    with DevServer(token=TOKEN, anonymous_submissions=True) as open_server:
        uid = open_server.create_asset(xlsx=small_xlsform(tmp_path / "open.xlsx"))
        assert submit(open_server, MINI.format(age=2, extra="", instance="anon-2"), headers=None).status_code == 201
        wrong = submit(open_server, MINI.format(age=2, extra="", instance="anon-3"),
                       headers={"Authorization": "Token x"})
        assert wrong.status_code == 401  # a wrong token is still refused
        assert [row["_submitted_by"] for row in open_server.submissions(uid)] == [None]


def test_server_owned_fields_in_a_submission_are_ignored(kobo: DevServer, mini: str) -> None:
    first = kobo.add_submission({"age": 30}, mini)
    owned = (f'<_id>{first["_id"]}</_id><_submission_time>2001-01-01T00:00:00</_submission_time>'
             '<__version__>vForged</__version__><_validation_status>approved</_validation_status>'
             '<_submitted_by>someone</_submitted_by>')
    xml = MINI.format(age=31, extra=owned, instance="new-1").replace(
        "</instanceID>", f'</instanceID><rootUuid>{first["meta/rootUuid"]}</rootUuid>')
    assert submit(kobo, xml).status_code == 201
    assert submit(kobo, MINI.format(age=32, extra="<_id>abc</_id>", instance="new-2")).status_code == 201
    rows = kobo.submissions(mini)
    assert rows[0] == first  # untouched
    added = rows[1]
    assert added["_id"] == first["_id"] + 1 and added["age"] == "31"
    assert added["meta/rootUuid"] == "uuid:new-1" and added["_submitted_by"] == "qaf"
    assert added["_submission_time"] != "2001-01-01T00:00:00" and added["_validation_status"] == {}
    assert added["__version__"] == requests.get(f"{kobo.url}/api/v2/assets/{mini}/", headers=H,
                                                timeout=10).json()["version_id"]
    assert [row["age"] for row in rows] == ["30", "31", "32"] and rows[2]["_id"] == first["_id"] + 2


def test_an_edit_keeps_its_identity_whatever_root_it_claims(kobo: DevServer, mini: str) -> None:
    other = kobo.add_submission({"age": 1}, mini)
    assert submit(kobo, MINI.format(age=40, extra="", instance="e-1")).status_code == 201
    claims = f'<deprecatedID>uuid:e-1</deprecatedID><rootUuid>{other["meta/rootUuid"]}</rootUuid>'
    edit = MINI.format(age=41, extra="", instance="e-2").replace("</instanceID>", "</instanceID>" + claims)
    assert submit(kobo, edit).status_code == 201
    rows = kobo.submissions(mini)
    assert [(row["age"], row["meta/rootUuid"]) for row in rows] == [("1", other["meta/rootUuid"]), ("41", "uuid:e-1")]


@pytest.mark.parametrize(("body", "message"), [
    ("<a>" * 100_000 + "</a>" * 100_000, "more than 100 levels deep"),
    ('<?xml version="1.0"?><!DOCTYPE data [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
     + MINI.format(age="&b;", extra="", instance="dtd-1"), "may not contain a DTD or entities"),
    ('<!DOCTYPE data SYSTEM "file:///etc/passwd">' + MINI.format(age=1, extra="", instance="dtd-2"),
     "may not contain a DTD or entities"),
])
def test_deep_or_dtd_xml_is_a_400_openrosa_error(kobo: DevServer, mini: str, body: str, message: str) -> None:
    refused = submit(kobo, body)
    assert refused.status_code == 400 and refused.text.startswith("<OpenRosaResponse") and message in refused.text
    assert kobo.submissions(mini) == []


def test_nesting_up_to_the_limit_is_accepted(kobo: DevServer, mini: str) -> None:
    deep = "<g>" * 97 + "<q>x</q>" + "</g>" * 97  # data, the groups and q: 99 levels (meta/instanceID: 3)
    assert submit(kobo, MINI.format(age=1, extra=deep, instance="deep-1")).status_code == 201
    assert kobo.submissions(mini)[0]["/".join(["g"] * 97 + ["q"])] == "x"
    deeper = "<g>" * 100 + "</g>" * 100
    assert submit(kobo, MINI.format(age=1, extra=deeper, instance="deep-2")).status_code == 400


def test_bodies_over_the_advertised_10_mb_get_413_unread(kobo: DevServer, mini: str) -> None:
    head = requests.head(f"{kobo.url}/submission", timeout=10)
    assert head.headers["X-OpenRosa-Accept-Content-Length"] == "10000000"
    conn = http.client.HTTPConnection("127.0.0.1", kobo.port, timeout=10)
    conn.putrequest("POST", "/submission")
    conn.putheader("Authorization", f"Token {TOKEN}")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", "300000000")  # announced, never sent
    conn.endheaders()
    began = time.monotonic()
    answer = conn.getresponse()
    assert answer.status == 413 and time.monotonic() - began < 5
    conn.close()
    big = MINI.format(age=1, extra=f"<notes>{'n' * 10_000_000}</notes>", instance="big-1")
    assert submit(kobo, big).status_code == 413  # sent in full: the client still sees the 413
    assert kobo.submissions(mini) == []
    assert submit(kobo, MINI.format(age=1, extra="", instance="small-1")).status_code == 201


def test_routing_order_and_bad_parameters(kobo: DevServer) -> None:
    uid = seed(kobo, 1)
    url = f"{kobo.url}/api/v2/assets/{uid}/"
    assert requests.delete(url, timeout=10).status_code == 404  # an asset the caller may not see: 404 first
    refused = requests.delete(url, headers=H, timeout=10)
    assert (refused.status_code, refused.json()) == (405, {"detail": 'Method "DELETE" not allowed.'})
    assert requests.get(url.rstrip("/"), headers=H, timeout=10).status_code == 404  # paths are exact
    assert requests.get(f"{kobo.url}/nowhere/", headers={"Authorization": "Token nope"}, timeout=10).status_code == 401
    assert requests.get(f"{url}data.json", headers=H, timeout=10).json()["count"] == 1
    for bad in ({"query": "[" * 5000}, {"query": json.dumps(nested_and(400))}, {"sort": "{" * 5000}):
        answer = data(kobo, uid, **bad)
        assert answer.status_code == 400, (answer.status_code, answer.text[:200])
    for body in ([1, 2], "text"):
        answer = requests.patch(f"{url}deployment/", headers=H, json=body, timeout=10)
        assert answer.status_code == 400, answer.text


def nested_and(depth: int) -> dict:
    query: dict = {"_id": 1}
    for _ in range(depth):
        query = {"$and": [query]}
    return query
