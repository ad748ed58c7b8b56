"""The KoboToolbox-compatible devserver behaves as the KPI reference says (/data/ rules, OpenRosa submissions)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
import requests

from qaf_kobo.kobo.devserver import DevServer

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
    sent = requests.post(f"{kobo.url}/submission", files={"xml_submission_file": ("s.xml", xml, "text/xml")}, timeout=10)
    assert sent.status_code == 201 and "submit_success" in sent.text
    dup = requests.post(f"{kobo.url}/submission", files={"xml_submission_file": ("s.xml", xml, "text/xml")}, timeout=10)
    assert dup.status_code == 202
    row = data(kobo, uid).json()["results"][0]
    assert row["s_1/c_1_1"] == "2" and "s_1/notes_1" not in row and row["age"] == "42"
    assert row["people"] == [{"people/who": "Ann"}, {"people/who": "Bo"}]
    assert (row["_uuid"], row["meta/rootUuid"], row["__version__"]) == ("aaa-1", "uuid:aaa-1", asset["version_id"])
    assert len(row["_submission_time"]) == 19 and row["_validation_status"] == {}

    edit = xml.replace("<age>42</age>", "<age>43</age>").replace(
        "<instanceID>uuid:aaa-1</instanceID>", "<instanceID>uuid:aaa-2</instanceID><deprecatedID>uuid:aaa-1</deprecatedID>")
    assert requests.post(f"{kobo.url}/submission", files={"xml_submission_file": ("s.xml", edit)}, timeout=10).ok
    rows = data(kobo, uid).json()["results"]
    assert len(rows) == 1 and rows[0]["age"] == "43" and rows[0]["_uuid"] == "aaa-2"
    assert (rows[0]["_id"], rows[0]["meta/rootUuid"], rows[0]["_submission_time"]) == (
        row["_id"], "uuid:aaa-1", row["_submission_time"])
    for bad in ("<data id='mini_qaf'><age>1</data>", "not xml at all"):
        refused = requests.post(f"{kobo.url}/submission", files={"xml_submission_file": ("s.xml", bad)}, timeout=10)
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
