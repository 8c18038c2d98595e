"""Browser tests: the site runs under gunicorn with production settings (DEBUG off, static files
collected and served by WhiteNoise) on its own database, loaded with the demo; Debian's
Chromium, driven by Playwright, opens it. Nothing is downloaded: the browser is the system's.

Without Chromium the tests are skipped, unless REQUIRE_BROWSER=1 (CI) makes that an error.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "browser-demo-password"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM}")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_database(url: str, name: str, *, drop_only: bool = False) -> str:
    """Create (or drop) a database ``name`` beside the one in ``url``; return its URL."""
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="package")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("site")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "SQLITE_PATH", "DEBUG"}
    }
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "browser-tests-secret-key-not-for-production-0123456789abcdefghij",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_ROOT": str(folder / "static"),
            "MEDIA_ROOT": str(folder / "media"),
            "DEMO_PASSWORD": PASSWORD,
            "AXES_FAILURE_LIMIT": "50",
            # Every upload runs in the background, as large ones do, with its progress page.
            "IMPORT_BACKGROUND_KB": "0",
        }
    )
    database_url = os.environ.get("DATABASE_URL", "")
    browser_database = ""
    if database_url.startswith("postgres"):
        browser_database = f"{urlsplit(database_url).path.lstrip('/') or 'test'}_browser"
        env["DATABASE_URL"] = _postgres_database(database_url, browser_database)
    else:
        env["SQLITE_PATH"] = str(folder / "site.sqlite3")

    def manage(*args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )

    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    manage("load_demo")
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "unionreports.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the site did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        if browser_database:
            _postgres_database(database_url, browser_database, drop_only=True)


@pytest.fixture(scope="package")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Page:
    """A page with the problems the browser reported while it was open."""

    def __init__(self, page, base: str):
        self.page = page
        self.base = base
        self.problems: list[str] = []
        page.on(
            "console",
            lambda message: message.type == "error" and self.problems.append(message.text),
        )
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on(
            "response",
            lambda response: (
                response.status >= 400
                and response.url.startswith(base)
                and not response.url.endswith("/favicon.ico")
                and self.problems.append(f"{response.status} {response.url}")
            ),
        )

    def open(self, path: str):
        response = self.page.goto(self.base + path, wait_until="networkidle")
        assert response is not None, path
        assert response.status == 200, (path, response.status)
        return self.page

    def axe_violations(self) -> list[str]:
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        return [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in result["violations"]
        ]


@pytest.fixture
def site(browser, live_site) -> Iterator[Page]:
    context = browser.new_context(
        locale="zh-CN", accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    page = Page(context.new_page(), live_site)
    yield page
    problems = [p for p in page.problems if "favicon" not in p]
    context.close()
    assert problems == [], problems
