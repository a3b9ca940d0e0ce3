#!/usr/bin/env python3
"""A clerk and a viewer at a real browser (headless Chromium through Selenium).

Usage: clerk_flow.py REGISTRY_BINARY SCREENSHOT_DIR

Builds a registry from the shipped Gushi County demo data, adds a Xiushui clerk and a
viewer, starts `registry serve --http --port 0`, and then, in Chromium:
signs in as the clerk, adds a unit, registers a tenant (a refused ID number first,
corrected on the same form), finds the unit, sees the dashboard's SVG chart, opens the
weekly reconciliation and downloads it and the ledger as xlsx workbooks, signs out;
signs in as the viewer and is refused a person's page. Saves screenshots of the dashboard
and of the refused form. Prints "N passed, M failed" and exits non-zero on any failure.
"""
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

BINARY, SHOTS = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
os.makedirs(SHOTS, exist_ok=True)
work = tempfile.mkdtemp(prefix="registry-browser-")
env = dict(os.environ, REGISTRY_DB=os.path.join(work, "registry.sqlite"), REGISTRY_OPERATOR="browser-test")
PASSWORD = "browser-pass-1"
passed, failed = 0, 0


def check(condition, what):
    global passed, failed
    if condition:
        passed += 1
        print("ok  ", what)
    else:
        failed += 1
        print("FAIL", what)


def registry(*args, stdin=None):
    return subprocess.run([BINARY, *args], env=env, input=stdin, capture_output=True, text=True, check=True).stdout


registry("seed")
registry("user", "add", "--username", "xiushui", "--role", "clerk", "--area", "411525003", "--display-name", "秀水街道办", stdin=PASSWORD + "\n")
registry("user", "add", "--username", "leader", "--role", "viewer", "--display-name", "街道领导", stdin=PASSWORD + "\n")

server = subprocess.Popen([BINARY, "serve", "--http", "--port", "0"], env=env, stderr=subprocess.PIPE, text=True)
line = server.stderr.readline()
match = re.search(r"listening on (http://\S+)", line)
if not match:
    print("the server did not start:", line)
    server.kill()
    sys.exit(1)
base = match.group(1)

options = webdriver.ChromeOptions()
for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=zh-CN"]:
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
downloads = os.path.join(work, "downloads")
os.makedirs(downloads)
options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.implicitly_wait(5)


def sign_in(username):
    driver.get(base + "/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    submit()


def wait_for(condition, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def submit():
    """Submits the page's form and waits for the next page."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait_for(lambda: not is_attached(old))


def is_attached(element):
    try:
        element.tag_name
        return True
    except Exception:
        return False


def fill(name, value):
    field = driver.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


try:
    sign_in("xiushui")
    check(driver.current_url.rstrip("/") == base, "the clerk signs in and lands on the dashboard")
    check(len(driver.find_elements(By.CSS_SELECTOR, "svg.chart polyline")) == 1, "the dashboard draws the registration-rate trend as an SVG chart")
    check("流动人口占比" in driver.page_source and "⚑ 重点" in driver.page_source, "migrant shares with the flagged areas marked")
    driver.save_screenshot(os.path.join(SHOTS, "dashboard.png"))
    driver.get(base + "/todo")
    check("已发现未登记的出租屋" in driver.page_source and len(driver.find_elements(By.CSS_SELECTOR, "main table a")) > 0,
          "今日待办 lists the oldest unregistered rentals, each linked to its unit")
    driver.save_screenshot(os.path.join(SHOTS, "todo.png"))

    # Add a unit.
    driver.get(base + "/units/new")
    fill("grid", "411525003001001")
    fill("address", "秀水路188号2单元301室")
    fill("unitId", "XS-BROWSER-1")
    driver.execute_script("document.getElementsByName('discoveredOn')[0].value = '2026-11-20'")
    submit()
    check("/units/XS-BROWSER-1" in driver.current_url and "秀水路188号2单元301室" in driver.page_source, "the unit is added and shown")

    # Register a tenant: a wrong check character first.
    driver.find_element(By.CSS_SELECTOR, "main a.button").click()
    wait_for(lambda: "/residents/new" in driver.current_url)
    check(driver.find_element(By.NAME, "unitId").get_attribute("value") == "XS-BROWSER-1", "the unit's page opens the tenant form for that unit")
    fill("idNumber", "341522199001010013")
    fill("name", "王小明")
    driver.execute_script("document.getElementsByName('movedIn')[0].value = '2026-11-25'")
    fill("phone", "13800005852")
    submit()
    error = driver.find_elements(By.ID, "idNumber-error")
    check(len(error) == 1 and "身份证号码不正确" in error[0].text, "a refused ID number gets a Chinese message beside its field")
    check(driver.find_element(By.NAME, "name").get_attribute("value") == "王小明", "the typed values are kept")
    driver.save_screenshot(os.path.join(SHOTS, "refused-form.png"))
    driver.set_window_size(390, 900)
    driver.save_screenshot(os.path.join(SHOTS, "refused-form-phone.png"))
    driver.set_window_size(1280, 1000)
    fill("idNumber", "341522199001010012")
    submit()
    notice = driver.find_elements(By.CSS_SELECTOR, ".notice")
    check(len(notice) == 1 and "已登记" in notice[0].text and "341522********0012" in notice[0].text, "corrected on the same form, the tenant is registered")

    # Find the unit, and see the tenant, masked.
    driver.get(base + "/units?q=" + "秀水路188号")
    driver.find_element(By.LINK_TEXT, "XS-BROWSER-1").click()
    check("341522********0012" in driver.page_source and "341522199001010012" not in driver.page_source, "the unit page shows the tenant, masked")
    check("341522199001010012" not in driver.current_url, "no ID number in any URL")

    # The weekly reconciliation: the new tenant arrived this week; its xlsx download.
    driver.get(base + "/weekly?to=2026-11-30")
    check("迁入" in driver.page_source and "341522********0012" in driver.page_source, "the weekly page lists the week's arrival, masked")
    driver.save_screenshot(os.path.join(SHOTS, "weekly.png"))

    def downloaded(suffix):
        """The workbook the browser saved (waits for the download to complete)."""
        wait_for(lambda: any(n.endswith(suffix) for n in os.listdir(downloads)), 20)
        names = [n for n in os.listdir(downloads) if n.endswith(suffix)]
        return os.path.join(downloads, names[0]) if names else None

    def sheet_text(path):
        with zipfile.ZipFile(path) as book:
            return book.read("xl/worksheets/sheet1.xml").decode("utf-8")

    driver.find_element(By.CSS_SELECTOR, "form.card button[value=xlsx]").click()
    path = downloaded(".xlsx")
    check(path is not None and "变动" in sheet_text(path) and "341522********0012" in sheet_text(path) and "迁入" in sheet_text(path),
          "the weekly changes download as an xlsx workbook with Chinese titles, masked")
    if path:
        os.remove(path)
    driver.get(base + "/ledger")
    driver.find_element(By.CSS_SELECTOR, "select[name=format] option[value=xlsx]").click()
    driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    path = downloaded(".xlsx")
    check(path is not None and "身份证号" in sheet_text(path) and "XS-BROWSER-1" in sheet_text(path) and "341522199001010012" not in sheet_text(path),
          "the ledger downloads as an xlsx workbook of the clerk's areas, masked")
    unit_ids = re.findall(r"<t>(\d{15}-\d{4})</t>", sheet_text(path)) if path else []
    check(len(unit_ids) > 0 and all(u.startswith("411525003") for u in unit_ids),
          "the clerk's workbook holds no unit of another subdistrict")

    # Sign out.
    driver.get(base + "/")
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
    wait_for(lambda: not is_attached(old))
    check(driver.current_url.endswith("/login"), "the clerk signs out")
    driver.get(base + "/units")
    check(driver.current_url.endswith("/login"), "signed out, pages need signing in again")

    # A viewer is refused a person's page.
    sign_in("leader")
    driver.get(base + "/residents/lookup")
    check("无权访问" in driver.page_source, "the viewer is refused the person lookup")
    driver.save_screenshot(os.path.join(SHOTS, "viewer-refused.png"))
finally:
    driver.quit()
    server.terminate()
    try:
        code = server.wait(timeout=10)
        check(code == 0, "the server stops cleanly on SIGTERM")
    except subprocess.TimeoutExpired:
        server.kill()
        check(False, "the server stops cleanly on SIGTERM")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
