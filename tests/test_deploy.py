"""Deploying an XLSForm to the devserver: new project, replacing a project's form, server errors shown as given."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.devserver import DevServer
from qaf_kobo.framework import default_framework
from qaf_kobo.framework.catalogue import texts
from qaf_kobo.kobo.client import ASSET_NOT_FOUND, KoboClient, KoboError
from qaf_kobo.kobo.deploy import deploy_form

from kobo_server import TOKEN, kobo  # noqa: F401
from test_kobo_devserver import small_xlsform

NS = {"x": "http://www.w3.org/2002/xforms", "h": "http://www.w3.org/1999/xhtml"}


def asset(server: DevServer, uid: str) -> dict:
    return requests.get(f"{server.url}/api/v2/assets/{uid}/", headers={"Authorization": f"Token {TOKEN}"},
                        timeout=10).json()


def test_deploy_new_project_then_replace_its_form(kobo: DevServer, tmp_path: Path) -> None:
    with KoboClient(kobo.url, TOKEN) as client:
        first = deploy_form(client, small_xlsform(tmp_path / "v1.xlsx", version="1"))
        detail = asset(kobo, first.asset_uid)
        assert first.created and first.name == "Mini QAF"
        assert detail["deployment__active"] and detail["deployed_version_id"] == detail["version_id"] == first.version_id
        assert first.links["url"].startswith(kobo.url) and first.asset_uid in first.describe()
        second = deploy_form(client, small_xlsform(tmp_path / "v2.xlsx", version="2", title="Mini QAF v2"),
                             first.asset_uid)
    detail = asset(kobo, first.asset_uid)
    assert not second.created and second.asset_uid == first.asset_uid
    assert second.version_id != first.version_id
    assert detail["deployed_version_id"] == detail["version_id"] == second.version_id
    assert detail["name"] == "Mini QAF v2" and len(kobo.asset_uids()) == 1


def test_import_errors_are_shown_as_the_server_gave_them(kobo: DevServer, tmp_path: Path) -> None:
    with KoboClient(kobo.url, TOKEN) as client, pytest.raises(KoboError) as err:
        deploy_form(client, small_xlsform(tmp_path / "bad.xlsx", bad=True))
    assert str(err.value).startswith("the server could not import the form: ") and "no_such_type" in str(err.value)


def test_deploy_to_a_missing_asset_says_so(kobo: DevServer, tmp_path: Path) -> None:
    with KoboClient(kobo.url, TOKEN) as client, pytest.raises(KoboError, match=ASSET_NOT_FOUND):
        deploy_form(client, small_xlsform(tmp_path / "a.xlsx"), "aMissing")


def test_cli_form_deploy_builds_and_deploys_the_qaf(kobo: DevServer, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOBO_TOKEN", TOKEN)
    result = CliRunner().invoke(main, ["form", "deploy", "--server", kobo.url, "--out", str(tmp_path / "build")])
    assert result.exit_code == 0, result.output
    uid = kobo.asset_uids()[0]
    assert f"asset: {uid}" in result.output and "url: " in result.output
    assert asset(kobo, uid)["deployment__active"] is True
    again = CliRunner().invoke(main, ["form", "deploy", "--server", kobo.url, "--asset", uid,
                                      "--out", str(tmp_path / "build")])
    assert again.exit_code == 0 and "form replaced" in again.output and kobo.asset_uids() == [uid]


def test_cli_form_deploy_opens_in_the_language_asked_under_its_title(kobo: DevServer, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``form deploy --open-in ar``: the XForm the server serves (what Enketo shows) has the Arabic title and opens
    in Arabic."""
    monkeypatch.setenv("KOBO_TOKEN", TOKEN)
    result = CliRunner().invoke(main, ["form", "deploy", "--server", kobo.url, "--open-in", "AR",
                                       "--out", str(tmp_path / "build")])
    assert result.exit_code == 0, result.output
    uid = kobo.asset_uids()[0]
    served = requests.get(f"{kobo.url}/api/v2/assets/{uid}/xform/", headers={"Authorization": f"Token {TOKEN}"},
                          timeout=10)
    xform = ET.fromstring(served.content)
    assert xform.findtext("h:head/h:title", namespaces=NS) == texts(default_framework(), "ar").get("framework.title")
    default = [t.get("lang") for t in xform.findall(".//x:itext/x:translation", NS) if t.get("default")]
    assert default == ["العربية (ar)"]
