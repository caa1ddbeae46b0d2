"""The service as it runs: a real uvicorn process on a loopback port (`python -m serving`),
the libretranslatepy client, the web page in headless Chromium, SIGTERM draining the queue,
and the load test tool."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.waiting import wait_for

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`python -m serving` (or `command`) in a subprocess, configured by NMT_* variables."""

    def __init__(
        self, models: Path, log: Path, command: tuple[str, ...] = ("-m", "serving"), **env: str
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        variables = {
            **os.environ,
            "NMT_MODELS_DIR": str(models),
            "NMT_HOST": "127.0.0.1",
            "NMT_PORT": str(self.port),
            "NMT_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            **env,
        }
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            env=variables,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise

    def kill(self) -> None:
        """Make sure the process is gone (a failed test must not leave a server behind)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready in 120 s:\n{self.log.read_text()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


# uvicorn re-raises SIGTERM once it has shut down cleanly, so the exit is by that signal.
CLEAN_EXIT = (0, -signal.SIGTERM)


@pytest.fixture(scope="module")
def server(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    running = Server(models_dir, log)
    try:
        yield running
        assert running.stop() in CLEAN_EXIT
    finally:
        running.kill()


def test_a_real_uvicorn_process_serves_and_logs_json(server: Server) -> None:
    body = {"text": "Open the file menu.", "source": "en", "target": "de"}
    response = httpx.post(
        f"{server.url}/v1/translate", json=body, headers={"X-Request-ID": "live-1"}
    )
    assert response.status_code == 200 and response.json()["translations"]["text"]
    assert response.headers["x-request-id"] == "live-1"

    def access_lines() -> list[dict[str, Any]]:  # the access line is written after the response
        lines = [json.loads(x) for x in server.log.read_text().splitlines() if x.startswith("{")]
        return [x for x in lines if x.get("request_id") == "live-1"]

    wait_for(lambda: bool(access_lines()), "the access log line")
    access = access_lines()
    assert access and access[0]["route"] == "/v1/translate" and access[0]["status"] == 200
    assert access[0]["texts"] == 1 and access[0]["segments"] == 1
    assert access[0]["latency_ms"] > 0


def test_the_libretranslatepy_client_works_unchanged(server: Server) -> None:
    from libretranslatepy import LibreTranslateAPI

    client = LibreTranslateAPI(server.url)
    want = httpx.post(
        f"{server.url}/v1/translate",
        json={"text": "Open the file menu.", "source": "en", "target": "de"},
    ).json()["translations"]["text"]
    assert client.translate("Open the file menu.", "en", "de") == want
    languages = client.languages()
    assert {"code": "en", "name": "English", "targets": ["de"]} in languages
    assert client.detect("Öffnen Sie die Datei")[0]["language"] == "de"


def _browser() -> Any:
    """Headless Debian Chromium through Selenium; skip without it (fail under CI=true)."""
    if not (CHROMEDRIVER.exists() and (CHROMIUM.exists() or shutil.which("chromium"))):
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but chromium / chromium-driver are not installed")
        pytest.skip("chromium and chromium-driver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1200,1000")
    options.binary_location = str(CHROMIUM)
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    return webdriver.Chrome(options=options, service=service)


@pytest.fixture(scope="module")
def page_server(
    base_bundle: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Path]]:
    """en-de and a de-en variant (so swap has a reverse pair), suggestions on (SQLite), files."""
    from tests.serving.conftest import variant

    root = tmp_path_factory.mktemp("page")
    models = root / "models"
    models.mkdir()
    shutil.copytree(base_bundle, models / "en-de")
    variant(base_bundle, models / "de-en", pair="de-en")
    database = root / "suggestions.sqlite"
    env = {
        "NMT_BUNDLES": "*", "NMT_SUGGESTIONS": "true", "NMT_DATABASE_URL": f"sqlite:///{database}",
        "NMT_FILES_DIR": str(root / "files"), "NMT_FRONTEND_TIMEOUT_MS": "150",
    }  # fmt: skip
    running = Server(models, root / "server.log", **env)
    try:
        yield running, database
        assert running.stop() in CLEAN_EXIT
    finally:
        running.kill()


def _lt(server: Server, text: str, source: str = "en", target: str = "de") -> dict[str, Any]:
    body = {"q": text, "source": source, "target": target, "alternatives": 3}
    answer: dict[str, Any] = httpx.post(f"{server.url}/translate", json=body).json()
    return answer


@pytest.mark.browser
def test_the_web_page_in_headless_chromium(
    page_server: tuple[Server, Path], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from serving.suggestions import SuggestionStore

    server, database = page_server
    driver = _browser()
    shots = Path(os.environ.get("NMT_SCREENSHOTS", str(tmp_path)))  # keep them: a folder
    try:
        driver.get(server.url + "/")
        wait = WebDriverWait(driver, 90)
        find = driver.find_element
        wait.until(lambda d: Select(d.find_element(By.ID, "target")).options)
        source, target = Select(find(By.ID, "source")), Select(find(By.ID, "target"))
        assert source.first_selected_option.get_attribute("value") == "en"
        assert target.first_selected_option.get_attribute("value") == "de"
        assert find(By.ID, "counter").text == "0 / 5000"
        assert find(By.CSS_SELECTOR, "label[for=text]").get_attribute("textContent")

        # translate as you type (debounced): the same answer as the API's
        text = find(By.ID, "text")
        text.send_keys("Save the document.")
        want = _lt(server, "Save the document.")
        wait.until(lambda d: d.find_element(By.ID, "result").text == want["translatedText"].strip())
        assert find(By.ID, "counter").text == f"{len('Save the document.')} / 5000"
        chips = driver.find_elements(By.CSS_SELECTOR, "#alternative-list button")
        assert [c.text for c in chips] == [a.strip() for a in want["alternatives"]]
        if chips:  # picking an alternative puts it in the translation pane
            first = chips[0].text
            chips[0].click()
            assert find(By.ID, "result").text == first

        # Ctrl+Enter translates at once
        find(By.ID, "clear").click()
        assert find(By.ID, "result").text == "" and text.get_attribute("value") == ""
        text.send_keys("Open the file menu.", Keys.CONTROL, Keys.ENTER)
        menu = _lt(server, "Open the file menu.")["translatedText"].strip()
        wait.until(lambda d: d.find_element(By.ID, "result").text == menu)
        find(By.ID, "copy").click()
        wait.until(lambda d: d.find_element(By.ID, "status").text == "Copied")

        # Details: the n-best list with scores and the attention heatmap
        find(By.CSS_SELECTOR, "#details summary").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#heatmap tbody tr"))
        assert driver.find_elements(By.CSS_SELECTOR, "#nbest li")
        for name, size in (("desktop", (1200, 1000)), ("phone", (390, 844))):
            driver.set_window_size(*size)
            for scheme in ("light", "dark"):
                feature = {"name": "prefers-color-scheme", "value": scheme}
                driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [feature]})
                driver.save_screenshot(str(shots / f"web-page-{name}-{scheme}.png"))
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        driver.set_window_size(1200, 1000)
        find(By.CSS_SELECTOR, "#details summary").click()

        # suggest a better translation: stored in the database
        find(By.ID, "suggest").click()
        box = find(By.ID, "suggestion")
        box.clear()
        box.send_keys("Öffnen Sie das Menü Datei.")
        find(By.ID, "send-suggestion").click()
        wait.until(lambda d: d.find_element(By.ID, "status").text.startswith("Thank you"))
        (row,) = SuggestionStore(f"sqlite:///{database}").rows()
        assert (row.source_text, row.suggestion) == (
            "Open the file menu.",
            "Öffnen Sie das Menü Datei.",
        )

        # swap: de-en is served, so en <-> de swaps and translates the translation back
        assert find(By.ID, "swap").is_enabled()
        shown = find(By.ID, "result").text
        find(By.ID, "swap").click()
        assert Select(find(By.ID, "source")).first_selected_option.get_attribute("value") == "de"
        assert Select(find(By.ID, "target")).first_selected_option.get_attribute("value") == "en"
        assert text.get_attribute("value") == shown
        back = _lt(server, shown, "de", "en")["translatedText"].strip()
        wait.until(lambda d: d.find_element(By.ID, "result").text == back)

        # auto-detect: the detected language is shown
        Select(find(By.ID, "source")).select_by_value("auto")
        Select(find(By.ID, "target")).select_by_value("de")
        assert not find(By.ID, "swap").is_enabled()
        find(By.ID, "clear").click()
        text.send_keys("Open the file and save the document in the folder.")
        wait.until(lambda d: d.find_element(By.ID, "detected").text.startswith("Detected: English"))

        # an over-long text: the counter says so and nothing is sent
        driver.execute_script(
            "const t = document.getElementById('text'); t.value = 'x'.repeat(5001);"
            "t.dispatchEvent(new Event('input'));"
        )
        assert find(By.ID, "counter").text == "5001 / 5000"
        assert not find(By.ID, "translate").is_enabled()

        # the file tab: choose a file, get the translated file
        find(By.ID, "tab-file").click()
        assert find(By.ID, "panel-file").is_displayed()
        Select(find(By.ID, "source")).select_by_value("en")
        upload = tmp_path / "notes.txt"
        upload.write_text("Open the file menu.\n", encoding="utf-8")
        find(By.ID, "file").send_keys(str(upload))
        find(By.ID, "translate-file").click()
        link = wait.until(ec.presence_of_element_located((By.ID, "download")))
        got = httpx.get(str(link.get_attribute("href"))).text
        assert got == menu + "\n"
    finally:
        driver.quit()


def test_sigterm_drains_queued_requests(models_dir: Path, tmp_path: Path) -> None:
    """Requests queued when SIGTERM arrives are all answered 200, then the process exits
    cleanly and the port is closed."""
    # The oldest text waits 8 s for company, even on the idle model: all 8 are still queued
    # when SIGTERM arrives, and uvicorn must keep the connections open until the batch has run
    # and answered them.
    env = {
        "NMT_BATCH_WAIT_MS": "8000", "NMT_BATCH_WAIT_IDLE": "true", "NMT_REQUEST_TIMEOUT_S": "120",
        "NMT_ACCESS_LOG": "false",
    }  # fmt: skip
    command = ("-m", "nmt.cli", "serve", "--bundle", "en-de")  # the CLI's way in, too
    server = Server(models_dir, tmp_path / "log", command, **env)
    try:
        _drain_on_sigterm(server, tmp_path / "log")
    finally:
        server.kill()


def _drain_on_sigterm(server: Server, log: Path) -> None:
    results: list[int] = []

    def send(i: int) -> None:
        body = {"text": f"Sentence number {i}.", "source": "en", "target": "de"}
        results.append(httpx.post(f"{server.url}/v1/translate", json=body, timeout=120).status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 8
    while 'nmt_queue_depth{model="en-de"} 8.0' not in httpx.get(f"{server.url}/metrics").text:
        assert time.monotonic() < deadline, "the requests did not queue"
        time.sleep(0.02)
    server.process.send_signal(signal.SIGTERM)  # all 8 wait in the queue
    for t in threads:
        t.join(timeout=120)
    assert results == [200] * 8
    assert server.process.wait(timeout=60) in CLEAN_EXIT
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/healthz", timeout=2)
    text = log.read_text()
    assert "draining" in text and "drained" in text


def test_the_load_tool_reports_throughput_latency_and_batches(
    server: Server, tmp_path: Path
) -> None:
    out = tmp_path / "load"
    cmd = [sys.executable, str(ROOT / "bench" / "loadtest.py"), "--url", server.url]
    run = subprocess.run(
        [*cmd, "--clients", "4", "--duration", "1.5", "--mode", "greedy", "--out", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = json.loads(out.with_suffix(".json").read_text())
    assert result["requests_ok"] > 0 and result["errors"] == {}
    assert result["latency_ms"]["p50"] <= result["latency_ms"]["p99"]
    assert sum(result["batch_size_histogram"].values()) > 0
    assert result["loadgen_cpu_cores"] >= 0 and result["loadgen_cpu_s"] >= 0
    assert "| requests ok |" in out.with_suffix(".md").read_text()
    refused = subprocess.run(
        [*cmd[:2], "--url", "http://example.com:80"], capture_output=True, text=True
    )
    assert refused.returncode == 2 and "loopback" in refused.stderr
