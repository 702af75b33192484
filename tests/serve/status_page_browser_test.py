#!/usr/bin/python3
"""The status page in a real browser: headless Debian Chromium driven by chromium-driver
through Debian's python3-selenium, against a live server (serve_status_fixture: the daemon's
HTTP side over a fake daemon and a store filled by real runs).

    status_page_browser_test.py PATH/TO/serve_status_fixture

Asserts on the DOM of the pipeline list and a run page, at a laptop size and at a phone size
(390x844, no horizontal overflow). Exits 77 (ctest: skipped) only when Chromium or its driver
is not installed; anything else missing or wrong fails.
"""
import json
import os
import select
import shutil
import subprocess
import sys
import time

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def skip_without_chromium():
    missing = [p for p in (CHROMIUM, DRIVER) if not os.access(p, os.X_OK)]
    if missing:
        print(f"SKIPPED: {', '.join(missing)} not installed; `make deps` installs chromium and "
              "chromium-driver (Debian packages)")
        sys.exit(77)


def start_fixture(binary):
    proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    if not ready:
        proc.kill()
        raise RuntimeError("the fixture server printed nothing within 60 s")
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"the fixture server exited with {proc.wait()}")
    return proc, json.loads(line)


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-extensions", "--no-first-run", "--window-size=1280,900"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)


def rgb(driver, element):
    return driver.execute_script("return getComputedStyle(arguments[0]).backgroundColor", element)


def check(cond, message):
    if not cond:
        raise AssertionError(message)
    print(f"ok - {message}")


def no_horizontal_overflow(driver, what):
    widths = driver.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth,"
        " document.body.scrollWidth]")
    check(widths[0] == 390, f"{what}: the viewport is 390 px wide (got {widths[0]})")
    check(widths[1] <= widths[0] and widths[2] <= widths[0],
          f"{what}: no horizontal overflow at 390 px (scroll widths {widths[1]}, {widths[2]})")


def test_index(driver, base, runs):
    from selenium.webdriver.common.by import By
    driver.get(base + "/")
    check(driver.title == "jobhost", "index: title")
    viewport = driver.find_element(By.CSS_SELECTOR, "meta[name=viewport]").get_attribute("content")
    check("width=device-width" in viewport, "index: viewport meta")
    refresh = driver.find_element(By.CSS_SELECTOR, "meta[http-equiv=refresh]")
    refresh = refresh.get_attribute("content")
    check(refresh == "10", "index: refreshes itself every 10 s")
    check(not driver.find_elements(By.TAG_NAME, "script"), "index: no script element")

    rows = driver.find_elements(By.CSS_SELECTOR, "table.pipelines tbody tr.pipeline")
    names = [r.get_attribute("data-pipeline") for r in rows]
    check(names == ["broken", "daily", "hourly"], f"index: one row per pipeline, sorted ({names})")
    check(driver.find_element(By.CSS_SELECTOR, "table.pipelines thead").is_displayed(),
          "index: a table header on a laptop")

    broken = rows[0]
    check(broken.get_attribute("data-valid") == "false", "broken: marked invalid")
    check(broken.find_element(By.CSS_SELECTOR, ".badge.invalid").text == "invalid",
          "broken: invalid badge")
    error = broken.find_element(By.CSS_SELECTOR, "pre.error").text
    check("unknown job type 'nope.<script>alert(1)</script>'" in error,
          "broken: its error shown as text, markup escaped")
    check("not scheduled" in broken.find_element(By.CSS_SELECTOR, "td.next").text,
          "broken: not scheduled")

    daily = rows[1]
    check(daily.find_element(By.CSS_SELECTOR, "td.schedule").text == "0 6 * * * Europe/Paris",
          "daily: schedule and time zone")
    check(daily.find_element(By.CSS_SELECTOR, "td.next time").get_attribute("datetime") ==
          "2026-11-30T05:00:00Z", "daily: next run")
    check(daily.find_element(By.CSS_SELECTOR, ".badge.valid").is_displayed(), "daily: valid badge")
    cells = daily.find_elements(By.CSS_SELECTOR, "td.runs a.cell")
    statuses = [c.get_attribute("data-status") for c in cells]
    check(statuses == ["success", "failed", "running"],
          f"daily: run cells oldest first ({statuses})")
    hrefs = [c.get_attribute("href") for c in cells]
    check(hrefs == [f"{base}/runs/{runs[k]}" for k in ("success", "failed", "running")],
          "daily: each cell links to its run page")
    colours = [rgb(driver, c) for c in cells]
    check(colours == ["rgb(26, 127, 55)", "rgb(207, 34, 46)", "rgb(9, 105, 218)"],
          f"daily: cells coloured green, red, blue ({colours})")
    for c in cells:
        check(c.size["width"] >= 12 and c.size["height"] >= 12,
              "daily: a cell is big enough to tap")
    check(rgb(driver, rows[2].find_element(By.CSS_SELECTOR, "a.cell")) == "rgb(26, 127, 55)",
          "hourly: its run is green")
    cells[1].click()
    check(driver.current_url == f"{base}/runs/{runs['failed']}",
          "clicking a cell opens its run page")


def bar_box(driver, row):
    from selenium.webdriver.common.by import By
    bar = row.find_element(By.CSS_SELECTOR, "td.gantt .track .bar")
    track = row.find_element(By.CSS_SELECTOR, "td.gantt .track")
    b = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", bar)
    t = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", track)
    return bar, b, t


def test_run_page(driver, base, runs):
    from selenium.webdriver.common.by import By
    driver.get(f"{base}/runs/{runs['failed']}")
    check(not driver.find_elements(By.CSS_SELECTOR, "meta[http-equiv=refresh]"),
          "run page: a finished run does not refresh")
    check(not driver.find_elements(By.TAG_NAME, "script"), "run page: no script element")
    check(driver.find_element(By.CSS_SELECTOR, "dl.facts .badge").text == "failed",
          "run page: run status")
    rows = {r.get_attribute("data-job"): r
            for r in driver.find_elements(By.CSS_SELECTOR, "table.jobs tr.job")}
    check(sorted(rows) == ["extract", "load", "report", "transform"],
          f"run page: one row per job ({sorted(rows)})")
    states = {j: r.find_element(By.CSS_SELECTOR, "td.state .badge").text for j, r in rows.items()}
    expected = {"extract": "success", "report": "success", "transform": "success",
                "load": "failed"}
    check(states == expected,
          f"run page: states ({states})")
    check(rows["transform"].find_element(By.CSS_SELECTOR, "td.attempts").text.startswith("2"),
          "run page: transform took 2 attempts")

    boxes = {}
    for job, row in rows.items():
        bar, b, t = bar_box(driver, row)
        style = bar.get_attribute("style")
        check("width:" in style.replace(" ", "") and "margin-left:" in style.replace(" ", ""),
              f"{job}: a Gantt bar placed by inline CSS ({style})")
        check(b["width"] > 0 and b["left"] >= t["left"] - 0.5 and b["right"] <= t["right"] + 0.5,
              f"{job}: its bar lies within the track")
        boxes[job] = b
    # Dependencies show in the chart: transform starts after extract ends, load after transform.
    check(boxes["transform"]["left"] >= boxes["extract"]["right"] - 1,
          "Gantt: transform after extract")
    check(boxes["load"]["left"] >= boxes["transform"]["right"] - 1, "Gantt: load after transform")
    check(boxes["extract"]["left"] <= boxes["report"]["left"] + 8,
          "Gantt: report starts with extract")
    check(rgb(driver, rows["load"].find_element(By.CSS_SELECTOR, ".bar")) == "rgb(207, 34, 46)",
          "Gantt: the failed job's bar is red")

    error = rows["load"].find_element(By.CSS_SELECTOR, "td.error pre").text
    check(error == "<b>load refused</b> & \"quoted\" <script>alert('x')</script>",
          "run page: the error as text, markup escaped")
    links = rows["report"].find_elements(By.CSS_SELECTOR, "td.outputs a")
    check([a.get_attribute("href") for a in links] ==
          ["https://example.com/reports/daily?date=2026-11-28&format=html"],
          "run page: the URL output is the only link")
    outputs = rows["report"].find_element(By.CSS_SELECTOR, "td.outputs").text
    check("javascript:alert(1)" in outputs and "/data/out/<daily>.csv" in outputs,
          "run page: other outputs as text")

    driver.get(f"{base}/runs/{runs['running']}")
    refresh = driver.find_element(By.CSS_SELECTOR, "meta[http-equiv=refresh]")
    check(refresh.get_attribute("content") == "5", "running run: refreshes itself every 5 s")
    row = driver.find_element(By.CSS_SELECTOR, "tr.job[data-job=extract]")
    _, b, t = bar_box(driver, row)
    check(abs(b["width"] - t["width"]) < 1.5, "running run: the running job's bar reaches now")

    driver.get(f"{base}/runs/no-such-run")
    check("no run 'no-such-run'" in driver.find_element(By.CSS_SELECTOR, ".banner").text,
          "an unknown run: a page that says so")


def test_phone(driver, base, runs):
    from selenium.webdriver.common.by import By
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
    for path, what in (("/", "index"), (f"/runs/{runs['failed']}", "run page"),
                       (f"/runs/{runs['running']}", "running run page")):
        driver.get(base + path)
        no_horizontal_overflow(driver, what)
    driver.get(base + "/")
    check(not driver.find_element(By.CSS_SELECTOR, "table.pipelines thead").is_displayed(),
          "phone: the table header gives way to labelled cards")
    label = driver.execute_script(
        "return getComputedStyle(document.querySelector('tr.pipeline td.runs'), '::before')"
        ".content")
    check(label == '"Recent runs"', f"phone: each cell is labelled ({label})")
    size = driver.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)")
    check(size >= 14, f"phone: body text is readable ({size} px)")
    driver.get(f"{base}/runs/{runs['failed']}")
    row = driver.find_element(By.CSS_SELECTOR, "tr.job[data-job=load]")
    _, b, t = bar_box(driver, row)
    check(t["width"] > 200 and b["width"] > 0, "phone: the Gantt track spans the card")
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def main():
    skip_without_chromium()
    fixture = sys.argv[1]
    proc, info = start_fixture(fixture)
    driver = None
    try:
        driver = browser()
        driver.set_page_load_timeout(30)
        base = f"http://127.0.0.1:{info['port']}"
        test_index(driver, base, info["runs"])
        test_run_page(driver, base, info["runs"])
        test_phone(driver, base, info["runs"])
        print("status page browser test: all checks passed")
    finally:
        if driver:
            driver.quit()
        proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


if __name__ == "__main__":
    main()
