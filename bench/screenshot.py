"""Screenshots of the web page translating one text, to look at (Debian's headless Chromium).

    python bench/screenshot.py --url http://127.0.0.1:8000 --text "Click <b>Save</b>." \
        --out bench/results

Fills the text box, clicks Translate, opens Details (n-best of 3, attention heatmap) and saves
web-page-{desktop,phone}-{light,dark}.png (1200 and 390 pixels wide; the colour scheme
emulated as the system's). Needs `chromium` and
`chromium-driver` (apt); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--text", default="Click <b>Save</b> to keep your changes to %s.")
    p.add_argument("--n-best", type=int, default=3)
    p.add_argument("--out", type=Path, default=Path("bench/results"), help="a folder")
    args = p.parse_args(argv)
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        p.exit(2, "screenshot: needs Debian's chromium and chromium-driver (apt-get install)\n")

    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    options.binary_location = str(CHROMIUM)
    driver = webdriver.Chrome(
        options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    )
    try:
        driver.get(args.url.rstrip("/") + "/")
        wait = WebDriverWait(driver, 120)
        wait.until(lambda d: Select(d.find_element(By.ID, "target")).options)
        box = driver.find_element(By.ID, "text")
        box.clear()
        box.send_keys(args.text)
        driver.find_element(By.ID, "translate").click()
        wait.until(lambda d: d.find_element(By.ID, "result").text)
        driver.find_element(By.CSS_SELECTOR, "#details summary").click()
        n_best = driver.find_element(By.ID, "n-best")
        n_best.clear()
        n_best.send_keys(str(args.n_best))
        n_best.send_keys(Keys.TAB)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#heatmap tbody tr"))
        wait.until(ec.text_to_be_present_in_element((By.ID, "score"), "."))
        driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
        args.out.mkdir(parents=True, exist_ok=True)
        shots = []
        for name, size in (("desktop", (1200, 1100)), ("phone", (390, 844))):
            driver.set_window_size(*size)
            for scheme in ("light", "dark"):
                feature = {"name": "prefers-color-scheme", "value": scheme}
                driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [feature]})
                driver.execute_script("window.scrollTo(0, 0);")
                shot = args.out / f"web-page-{name}-{scheme}.png"
                driver.save_screenshot(str(shot))
                shots.append(shot)
        result = driver.find_element(By.ID, "result").text
    finally:
        driver.quit()
    print(f"{', '.join(map(str, shots))}: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
