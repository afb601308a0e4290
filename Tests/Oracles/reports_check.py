"""The /reports page in a real headless Chromium at 1280x800: sign in with the API key through the
form, show a range of days, and compare every number the page shows (funnel bars, the daily
lines' points, the by-template and by-variant tables) with the API's JSON for the same range.
Usage: reports_check.py BASE_URL API_KEY FROM_DAY TO_DAY SCREENSHOT_PATH (days YYYY-MM-DD, the last
included); prints a JSON summary ("mismatches" lists every difference), or on failure saves a
screenshot, writes the summary to stderr and exits 1. Loopback only."""
import datetime
import json
import sys
import urllib.request

from browser import api_client, headless_chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

base, api_key, first_day, last_day, screenshot = sys.argv[1:6]
api = api_client(base, api_key)
after_last = (datetime.date.fromisoformat(last_day) + datetime.timedelta(days=1)).isoformat()
query = "from=%sT00:00:00Z&to=%sT00:00:00Z" % (first_day, after_last)
rows = {by: api("GET", "/v1/reports/funnel?%s&by=%s" % (query, by))["rows"] for by in ["day", "template", "variant"]}
names = {t["id"]: "%s (%s)" % (t["name"], t["locale"]) for t in api("GET", "/v1/templates?limit=200")["templates"]}

STAGES = ["conversations", "handoffs_offered", "handoffs_verified", "verified_within_90s", "sent", "delivered",
          "replied", "escalated", "resolved", "converted", "opt_outs"]


# The page's formats (web/reports.js), applied to the API's numbers.
def count(value):
    return "–" if value is None else str(value)


def seconds(ms):
    return "–" if ms is None else "%.1f" % (ms / 1000)


def money(cents):
    return "%.2f" % (cents / 100)


def percent(share):
    return "–" if share is None else "%.1f%%" % (share * 100)


def p_value(p):
    return "–" if p is None else "<0.001" if p < 0.001 else "%.3f" % p


def cell(column, value):
    if column == "revenue_cents":
        return money(value)
    if column.startswith("first_response_ms"):
        return seconds(value)
    return count(value)


mismatches = []


def compare(where, shown, expected):
    if shown != expected:
        mismatches.append({"where": where, "page": shown, "api": expected})


driver = headless_chrome(1280, 800)
summary = {}
try:
    driver.get(base + "/reports?from=%s&to=%s" % (first_day, last_day))
    wait = WebDriverWait(driver, 10)
    key_field = wait.until(lambda d: d.find_element(By.ID, "api-key"))
    summary["key_field_focused"] = driver.switch_to.active_element == key_field
    summary["key_field_label"] = driver.find_element(By.CSS_SELECTOR, "label[for=api-key]").text.strip().split("\n")[0]
    # A wrong key is refused, and the sign-in form comes back saying so.
    key_field.send_keys("not-the-key-0123456789" + Keys.ENTER)
    wait.until(lambda d: d.find_element(By.ID, "sign-in").is_displayed()
               and d.find_element(By.CSS_SELECTOR, "#sign-in p[role=alert]").text != "")
    summary["wrong_key_alert"] = driver.find_element(By.CSS_SELECTOR, "#sign-in p[role=alert]").text
    key_field.send_keys(api_key + Keys.ENTER)
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == first_day + "/" + last_day)
    summary["signed_in_key_kept"] = driver.execute_script("return sessionStorage.getItem('handoff.reports.api_key')") == api_key

    # The funnel: the range's totals (the sum of its days) as bars, each with its value.
    totals = {column: sum(row[column] for row in rows["day"]) for column in STAGES + ["revenue_cents", "answered_within_60s"]}
    bars = {}
    for label in driver.find_elements(By.CSS_SELECTOR, "#funnel-chart text.value"):
        bars[label.get_attribute("data-column")] = label.text
    summary["bars"] = bars
    for column in STAGES:
        compare("bar " + column, bars.get(column), count(totals[column]))
    widths = {bar.get_attribute("data-column"): float(bar.get_attribute("width"))
              for bar in driver.find_elements(By.CSS_SELECTOR, "#funnel-chart rect.bar")}
    summary["bars_scale"] = all(
        abs(widths[c] * max(totals["conversations"], 1) - widths["conversations"] * totals[c]) < 0.01 for c in STAGES)
    figures = {dd.get_attribute("data-column"): dd.text for dd in driver.find_elements(By.CSS_SELECTOR, "#figures dd")}
    summary["figures"] = figures
    compare("revenue", figures.get("revenue_cents"), money(totals["revenue_cents"]))
    compare("answered within 60 s", figures.get("answered_within_60s"), count(totals["answered_within_60s"]))

    # The lines: a point per day and series (counts 0 on a day without conversations; times only
    # on days with an answered message), its value the API's.
    by_day = {row["key"]: row for row in rows["day"]}
    start = datetime.date.fromisoformat(first_day)
    days = [(start + datetime.timedelta(days=n)).isoformat()
            for n in range((datetime.date.fromisoformat(last_day) - start).days + 1)]
    points = {}
    for point in driver.find_elements(By.CSS_SELECTOR, "svg circle.point"):
        points[(point.get_attribute("data-column"), point.get_attribute("data-key"))] = float(point.get_attribute("data-value"))
    expected_points = {}
    for day in days:
        row = by_day.get(day)
        for column in ["conversations", "handoffs_verified", "replied", "converted"]:
            expected_points[(column, day)] = float(row[column] if row else 0)
        for column in ["first_response_ms_p50", "first_response_ms_p90"]:
            if row and row[column] is not None:
                expected_points[(column, day)] = row[column] / 1000
    summary["points"] = len(points)
    compare("line points", sorted(points.items()), sorted(expected_points.items()))

    # The tables: one row per API row, in the API's order, every cell formatted from it (the
    # daily table is in a closed <details>: its text content, not its rendered text).
    def table(container):
        found = []
        for tr in driver.find_elements(By.CSS_SELECTOR, "#%s tbody tr" % container):
            shown = {}
            for c in tr.find_elements(By.CSS_SELECTOR, "th, td"):
                shown[c.get_attribute("data-column")] = c.get_attribute("textContent")
                if c.get_attribute("data-id"):
                    shown[c.get_attribute("data-column") + " id"] = c.get_attribute("data-id")
            found.append(shown)
        return found

    day_columns = ["conversations", "handoffs_verified", "replied", "converted", "first_response_ms_p50",
                   "first_response_ms_p90"]
    expected_days = []
    for day in days:
        shown = {"key": day}
        shown.update({column: cell(column, by_day[day][column]) if day in by_day else
                      ("–" if column.startswith("first_response") else "0") for column in day_columns})
        expected_days.append(shown)
    compare("by day", table("days-table"), expected_days)

    template_columns = ["conversations", "handoffs_verified", "sent", "replied", "answered_within_60s",
                        "first_response_ms_p50", "first_response_ms_p90", "converted", "revenue_cents", "opt_outs"]
    expected_templates = []
    for row in rows["template"]:
        shown = {"key": names[row["key"]] if row["key"] is not None else "(no template)"}
        if row["key"] is not None:
            shown["key id"] = row["key"]
        shown.update({column: cell(column, row[column]) for column in template_columns})
        expected_templates.append(shown)
    summary["template_rows"] = len(expected_templates)
    compare("by template", table("templates-table"), expected_templates)

    expected_variants = []
    for row in rows["variant"]:
        share = row["converted"] / row["conversations"] if row["conversations"] else None
        shown = {
            "key": row["key"] if row["key"] is not None else "(no variant)",
            "template_id": names[row["template_id"]] if row["template_id"] is not None else "–",
            "conversations": count(row["conversations"]), "converted": count(row["converted"]),
            "conversion": percent(share),
            "interval": percent(row["conversion_low"]) + " – " + percent(row["conversion_high"]),
            "p_value": p_value(row["p_value"]), "revenue_cents": money(row["revenue_cents"]),
        }
        if row["template_id"] is not None:
            shown["template_id id"] = row["template_id"]
        expected_variants.append(shown)
    summary["variant_rows"] = len(expected_variants)
    shown_variants = table("variants-table")
    summary["p_values_shown"] = sum(1 for row in shown_variants if row.get("p_value", "–") != "–")
    compare("by variant", shown_variants, expected_variants)

    # The CSV links name the same range.
    summary["csv_links"] = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a.csv")]
    for by, href in zip(["day", "template", "variant"], summary["csv_links"]):
        compare("csv link " + by, href, base + "/v1/reports/funnel.csv?" + query + "&by=" + by)

    # Following the by-variant link with the keyboard saves the API's CSV (fetched with the key:
    # the file the page hands to the browser is caught before it is saved).
    driver.execute_script(
        "HTMLAnchorElement.prototype.click = function () {"
        "  if (this.download) { fetch(this.href).then(function (r) { return r.text(); })"
        "    .then(function (text) { window.savedCSV = text; }); } };")
    driver.find_element(By.CSS_SELECTOR, "a.csv[data-by=variant]").send_keys(Keys.ENTER)
    saved = wait.until(lambda d: d.execute_script("return window.savedCSV"))
    request = urllib.request.Request(base + "/v1/reports/funnel.csv?" + query + "&by=variant")
    request.add_header("Authorization", "Bearer " + api_key)
    with urllib.request.urlopen(request, timeout=5) as response:
        compare("csv saved", saved, response.read().decode())
    summary["csv_saved_lines"] = len(saved.splitlines())

    # Readable at 1280x800: nothing wider than the window, the charts at their full width.
    summary["page_width"] = driver.execute_script("return document.documentElement.scrollWidth")
    summary["funnel_width"] = driver.find_element(By.CSS_SELECTOR, "#funnel-chart svg").size["width"]

    # Another range typed into the form (Enter submits): a day without conversations shows zeros.
    driver.find_element(By.ID, "from").send_keys("01012020")
    driver.find_element(By.ID, "to").send_keys("01012020" + Keys.ENTER)
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "2020-01-01/2020-01-01")
    summary["empty_range_conversations"] = driver.find_element(
        By.CSS_SELECTOR, "#funnel-chart text.value[data-column=conversations]").text
    # Keyboard: from the day fields through Show to the CSV links, in that order.
    driver.execute_script("document.getElementById('sign-out').focus()")
    driver.switch_to.active_element.send_keys(Keys.TAB)
    order = []
    for _ in range(14):
        active = driver.switch_to.active_element
        name = active.get_attribute("id") or active.get_attribute("data-by") or active.text
        if not order or order[-1] != name:  # Tab first moves through a date field's parts
            order.append(name)
        active.send_keys(Keys.TAB)
    summary["tab_order"] = order[:7]

    summary["mismatches"] = mismatches
    if mismatches:
        raise AssertionError("the page differs from the API")
    print(json.dumps(summary))
except Exception as error:
    driver.save_screenshot(screenshot)
    summary["error"] = repr(error)
    summary["mismatches"] = mismatches
    print(json.dumps(summary, default=str), file=sys.stderr)
    sys.exit(1)
finally:
    driver.quit()
