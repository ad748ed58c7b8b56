"""Test helpers for the Central side: the Central-compatible server on 127.0.0.1 (a free port, in a thread), the
QAF XForm and small forms, a pyodk config file for the client, and QAF assessments (from qaf_rows)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests

from qaf_kobo.central.credentials import CentralCredentials, load_credentials
from qaf_kobo.central.rows import odata_store_row
from qaf_kobo.devserver.central import CentralDevServer
from qaf_kobo.form.build import build_form
from qaf_kobo.store import open_store

from qaf_rows import qaf_answers, qaf_form  # noqa: F401  (re-exported for the tests)

EMAIL = "coordinator@example.org"
PASSWORD = "central-test-pw-7Hq2xZ9pLw4sK1vB"

MINI_FORM = """<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
        xmlns:jr="http://openrosa.org/javarosa">
  <h:head>
    <h:title>Mini</h:title>
    <model>
      <instance>
        <data id="mini" version="{version}">
          <grp><sub><level/></sub><count/><share/></grp>
          <people jr:template=""><who/><age/></people>
          <people><who/><age/></people>
          <where/>
          <meta><instanceID/></meta>
        </data>
      </instance>
      <bind nodeset="/data/grp/sub/level" type="string"/>
      <bind nodeset="/data/grp/count" type="int"/>
      <bind nodeset="/data/grp/share" type="decimal"/>
      <bind nodeset="/data/people/who" type="string"/>
      <bind nodeset="/data/people/age" type="int"/>
      <bind nodeset="/data/where" type="geopoint"/>
      <bind nodeset="/data/meta/instanceID" type="string" readonly="true()"/>
    </model>
  </h:head>
  <h:body>
    <input ref="/data/grp/sub/level"/><input ref="/data/grp/count"/><input ref="/data/grp/share"/>
    <group ref="/data/people"><repeat nodeset="/data/people"><input ref="/data/people/who"/>
      <input ref="/data/people/age"/></repeat></group>
    <input ref="/data/where"/>
  </h:body>
</h:html>
"""
"""A small XForm with a nested group, numbers, a repeat and a geopoint."""


def mini_form(version: str = "1") -> str:
    """The small XForm with a version."""
    return MINI_FORM.replace("{version}", version)


@cache
def qaf_xform() -> str:
    """The XML of the QAF form built in English (built once per process)."""
    with tempfile.TemporaryDirectory(prefix="qaf-xform-") as tmp:
        return build_form(Path(tmp), languages=["en"], stamp="202601010000").xml.read_text(encoding="utf-8")


def seed(server: CentralDevServer, count: int) -> tuple[int, str, list[str]]:
    """A project with the QAF form holding ``count`` QAF assessments; (project id, form id, their ``__id``)."""
    pid = server.create_project("QAF")
    fid = server.create_form(qaf_xform(), pid)
    return pid, fid, server.add_submissions((qaf_answers(i) for i in range(count)), pid, fid)


def assert_store_equals_server(store: Path, server: CentralDevServer, pid: int, fid: str, source: str) -> None:
    """The source's active submissions are exactly the rows the server's OData shows, each once."""
    on_server = {r["__id"]: odata_store_row(r) for r in server.odata_rows(pid, fid)}
    with open_store(store) as st:
        rows = st.active_submissions(source)
        assert st.source_count(source) == len(rows)
    assert len(rows) == len({r["meta/rootUuid"] for r in rows})
    assert {r["meta/rootUuid"]: r for r in rows} == on_server


def write_config(path: Path, server: str, email: str = EMAIL, password: str = PASSWORD, mode: int = 0o600) -> Path:
    """A pyodk config file for ``server``."""
    path.write_text(f'[central]\nbase_url = "{server}"\nusername = "{email}"\npassword = "{password}"\n')
    path.chmod(mode)
    return path


def session(server: CentralDevServer) -> requests.Session:
    """A requests session logged in to ``server`` (Bearer token)."""
    http = requests.Session()
    token = http.post(f"{server.url}/v1/sessions", json={"email": EMAIL, "password": PASSWORD}, timeout=10).json()["token"]
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def odata(http: requests.Session, server: CentralDevServer, pid: int, fid: str, **params: Any) -> requests.Response:
    """GET ``…/forms/<fid>.svc/Submissions`` with OData options given without their ``$``."""
    return http.get(f"{server.url}/v1/projects/{pid}/forms/{fid}.svc/Submissions",
                    params={f"${k}": v for k, v in params.items()}, timeout=30)


@pytest.fixture
def central() -> Iterator[CentralDevServer]:
    """A running Central-compatible server with one web user (EMAIL, PASSWORD)."""
    with CentralDevServer(email=EMAIL, password=PASSWORD) as server:
        yield server


@pytest.fixture
def credentials(central: CentralDevServer, tmp_path: Path) -> CentralCredentials:
    """Credentials for ``central``, read from a pyodk config file."""
    return load_credentials(write_config(tmp_path / "pyodk_config.toml", central.url))
