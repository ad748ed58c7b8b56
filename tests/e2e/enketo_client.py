"""Drive the Enketo web form client in headless Chromium (Python playwright) through real UI events.

Shared by tests/e2e/test_enketo.py and benchmarks/bench_enketo.py. The page (web/index.html + the
esbuild bundle in web/dist) fetches an XForm, transforms it in the browser with enketo-transformer's
web build, renders it with enketo-core and posts the instance as OpenRosa multipart.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

E2E_DIR = Path(__file__).resolve().parent
WEB_DIR = E2E_DIR / "web"
BUNDLE = WEB_DIR / "dist" / "app.js"
BUNDLE_SOURCES = (E2E_DIR / "build.mjs", E2E_DIR / "package-lock.json", *sorted((WEB_DIR / "src").iterdir()))
VIEWPORT = {"width": 800, "height": 1280}
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
STEP_TIMEOUT_MS = 5000
# any URL but data: and http(s)://127.0.0.1[:port]/...
NOT_LOOPBACK = re.compile(r"^(?!data:|https?://127\.0\.0\.1(?::\d+)?(?:/|$))")


def chromium_path() -> str:
    """The Chromium binary (env CHROMIUM, else `chromium` on PATH)."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _run(command: list[str]) -> None:
    result = subprocess.run(command, cwd=E2E_DIR, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"`{' '.join(command)}` in {E2E_DIR} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


def ensure_bundle() -> Path:
    """Build web/dist with `node build.mjs` when it is missing or older than its sources (npm ci first if needed)."""
    if not (E2E_DIR / "node_modules").is_dir():
        _run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
    newest_source = max(p.stat().st_mtime for p in BUNDLE_SOURCES)
    if not BUNDLE.exists() or BUNDLE.stat().st_mtime < newest_source:
        _run(["node", "build.mjs"])
    return BUNDLE


@contextmanager
def chromium_browser() -> Iterator:
    """Debian's Chromium driven by Python playwright (no browser download)."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _field(name: str) -> str:
    """CSS selector of the form control(s) of a field, whatever group path it sits in."""
    return f'[name$="/{name}"]'


class EnketoForm:
    """One Enketo page in a browser tab; every request that is not to 127.0.0.1 (or data:) is aborted and counted."""

    def __init__(self, browser, headers_for: dict[str, dict[str, str]] | None = None) -> None:
        """``headers_for`` adds headers to requests whose URL starts with a prefix (the server-side access that
        Enketo Express has to the form, e.g. an API token; the page's own code never sees them)."""
        self.headers_for = headers_for or {}
        self.page = browser.new_page(viewport=VIEWPORT)
        self.page.set_default_timeout(STEP_TIMEOUT_MS)
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.timings: dict[str, float] = {}
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        # Only the requests to block and those that get headers are routed through Python (a round trip each, which
        # would add ~0.1 s to every page load); loopback requests otherwise go straight to the server.
        self.page.route(NOT_LOOPBACK, self._block)
        for prefix, headers in self.headers_for.items():
            self.page.route(re.compile("^" + re.escape(prefix)), self._with_headers(headers))

    def _block(self, route) -> None:
        self.blocked.append(route.request.url)
        route.abort()

    @staticmethod
    def _with_headers(headers: dict[str, str]):
        return lambda route: route.continue_(headers={**route.request.headers, **headers})

    # ------------------------------------------------------------------ loading
    def open(self, page_url: str, xform_url: str, submit_url: str, transformed_url: str | None = None) -> float:
        """Navigate to the Enketo page and wait until the form is interactive (rendered, first page shown);
        returns the seconds it took. ``transformed_url``: serve the form already transformed (JSON), as Enketo
        Express does from its cache. ``self.timings`` then holds the page's own times (ms since navigation start:
        app script start, transformed form there, ready; and initMs, the ms of render + init) and ``source``: xslt,
        browser-cache or server."""
        query = {"xform": xform_url, "submit": submit_url} | ({"transformed": transformed_url} if transformed_url else {})
        start = time.perf_counter()
        self.page.goto(f"{page_url}?{urlencode(query)}")
        self.page.wait_for_function("document.body.dataset.ready", timeout=30_000)
        info = self.page.evaluate("window.__enketo")
        if not info["ready"]:
            raise AssertionError(f"Enketo could not load the form: {info['error']}")
        if info["loadErrors"]:
            raise AssertionError(f"Enketo load errors: {info['loadErrors']}")
        self.page.locator("[role=page].current").wait_for()
        elapsed = time.perf_counter() - start
        self.timings = {key: info[key] for key in ("scriptStartMs", "formMs", "initMs", "readyMs", "source")}
        return elapsed

    # ------------------------------------------------------------------ reading
    @property
    def current(self):
        """The current page (a field-list group, or a lone question)."""
        return self.page.locator("[role=page].current")

    def current_page_name(self) -> str:
        """The model path of the current page, e.g. ``/data/s_2a``."""
        return self.page.evaluate(
            "() => { const p = document.querySelector('[role=page].current');"
            " return p.getAttribute('name') || p.querySelector('[name]').getAttribute('name'); }"
        )

    def model_value(self, name: str) -> str:
        """The value the form model holds for a field."""
        return self.page.evaluate(
            "n => { const el = document.querySelector(`[name$='/${n}']`);"
            " return enketoForm.model.node(el.getAttribute('name')).getVal(); }",
            name,
        )

    def fields_on_page(self) -> set[str]:
        """The names (last path segment) of the fields whose controls are on the current page."""
        return set(self.current.evaluate(
            "page => [...page.querySelectorAll('[data-type-xml][name]')].map(e => e.getAttribute('name').split('/').pop())"
        ))

    def shown_notes(self, names: list[str], page_only: bool = False) -> dict[str, str]:
        """Of these notes, the ones shown (relevant), on the current page or anywhere: name -> the text of their
        label in the active language (one round trip)."""
        return self.page.evaluate(
            "([names, pageOnly]) => { const root = pageOnly ? document.querySelector('[role=page].current') : document;"
            " const out = {}; for (const n of names) { const el = root.querySelector(`[name$='/${n}']`);"
            " const q = el && el.closest('.question'); if (!q || q.closest('.disabled, .pre-init')) continue;"
            " out[n] = q.querySelector('.question-label.active').textContent.trim(); } return out; }",
            [names, page_only],
        )

    def question_label(self, name: str) -> str:
        """The label of a field's question in the active language."""
        return self.question(name).locator(".question-label.active").first.evaluate("e => e.textContent.trim()")

    def choice_label(self, name: str, value: str) -> str:
        """The label shown (current language) for one choice of a radio field."""
        label = self.page.locator(f".option-wrapper > label:has(input{_field(name)}[value=\"{value}\"]) .option-label.active")
        return label.first.evaluate("e => e.textContent").strip()

    def question(self, name: str):
        """The question element of a field."""
        return self.page.locator(f".question:has({_field(name)})").first

    def question_classes(self, name: str) -> set[str]:
        """The CSS classes of a field's question (Enketo marks ``invalid-required``, ``disabled`` … there)."""
        return set((self.question(name).get_attribute("class") or "").split())

    # ------------------------------------------------------------------ real UI events
    def choose(self, name: str, value: str) -> None:
        """Click the label of a radio choice (select_one shown as buttons).

        A real mouse click at the label's centre, without Playwright's wait for the layout to be "stable" (about
        70 ms a click on this form); a label hidden or covered would not change the answer, which the callers
        check (suggested level, summary, report)."""
        label = self.current.locator(f".option-wrapper > label:has(input{_field(name)}[value=\"{value}\"])")
        label.click(force=True)

    def type_text(self, name: str, text: str) -> None:
        """Click into a text field, type, and leave it (Enketo updates the model on change)."""
        box = self.current.locator(f"input{_field(name)}, textarea{_field(name)}").first
        box.click(force=True)
        box.press_sequentially(text)
        box.blur()

    def fill_date(self, name: str, iso_date: str) -> None:
        """Type a date into Enketo's date widget (the visible input in front of the hidden model field)."""
        box = self.question(name).locator(".widget.date input").first
        box.click()
        box.press("Control+a")
        box.press_sequentially(iso_date)
        box.press("Enter")
        box.blur()

    def select(self, name: str, value: str) -> None:
        """Choose a value of a select_one: an autocomplete list (type the choice's label) or radio buttons."""
        question = self.question(name)
        if question.locator(".widget.autocomplete").count():
            label = question.locator(f'datalist option[data-value="{value}"]').get_attribute("value")
            box = question.locator(".widget.autocomplete")
            box.click()
            box.press_sequentially(label)
            box.blur()
        else:
            self.choose(name, value)

    def next_page(self) -> bool:
        """Press Next; True when the form moved to another page (False: blocked by validation or at the end)."""
        return self._turn_page(".next-page")

    def previous_page(self) -> bool:
        """Press Back; True when the form moved to another page."""
        return self._turn_page(".previous-page")

    def _turn_page(self, button: str) -> bool:
        before = self.current_page_name()
        self.page.locator(f".form-footer {button}").click(force=True)  # see choose(); the page change is checked
        try:
            self.page.wait_for_function(
                "b => { const p = document.querySelector('[role=page].current');"
                " return (p.getAttribute('name') || p.querySelector('[name]').getAttribute('name')) !== b; }",
                arg=before, timeout=1500,
            )
        except PlaywrightTimeout:  # the page did not change
            return False
        return True

    def next_page_blocked(self, required_field: str) -> bool:
        """Press Next expecting validation to stop it at an empty required field; True when it did."""
        before = self.current_page_name()
        self.page.locator(".form-footer .next-page").click(force=True)
        self.question(required_field).and_(self.page.locator(".invalid-required")).wait_for()
        return self.current_page_name() == before

    def transformed_json(self) -> str:
        """The transformed form the page rendered, as JSON (what Enketo Express would cache for the XForm)."""
        return self.page.evaluate("JSON.stringify(window.enketoTransformed)")

    def languages(self) -> list[str]:
        """The language codes Enketo offers in its language selector."""
        return self.page.evaluate("enketoForm.languages")

    def set_language(self, code: str) -> None:
        """Pick a language in Enketo's selector, as a user does."""
        self.page.select_option("#form-languages", code)

    def direction(self) -> str | None:
        """The text direction Enketo set on the form (``rtl`` for Arabic)."""
        return self.page.get_attribute("form.or", "dir")

    def submit(self) -> str:
        """Press Submit (validate, then POST OpenRosa multipart); returns the HTTP status, or 'invalid'."""
        self.page.locator("#submit-form").click()
        self.page.wait_for_function(
            "() => document.body.dataset.submitted || document.getElementById('submit-status').textContent",
            timeout=10_000,
        )
        return self.page.evaluate(
            "document.body.dataset.submitted || document.getElementById('submit-status').textContent"
        )

    def close(self) -> None:
        """Close the tab and its browser context."""
        self.page.context.close()

    def screenshot(self, path: Path) -> Path:
        """Save a full-page screenshot."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)
        return path
