"""The /demo page in a real headless Chromium: with the widget open, nothing a person must click
is covered. At each viewport, the operator pane's console is signed in and shows the widget's
conversation; each of its controls and of the simulated phone is scrolled to the top, the centre
and the bottom of the viewport, and must be what document.elementFromPoint finds at its centre (an
element under the widget finds the widget's host); its box must also not meet the open panel's or
the launcher's.
Usage: demo_layout_check.py BASE_URL API_KEY SCREENSHOT_PREFIX; prints a JSON summary whose "covered" lists
what is covered (a screenshot is saved for each viewport with some), exits 1 when the check itself
fails. Loopback only."""
import json
import sys

from browser import headless_chrome
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, api_key, screenshot_prefix = sys.argv[1], sys.argv[2], sys.argv[3]
VIEWPORTS = [(1280, 800), (1920, 1080)]
CONTROLS = {
    "conversation": ".hc-list button[data-conversation]",
    "assign": ".hc-assign",
    "transfer": ".hc-transfer",
    "offer": ".hc-offer",
    "close": ".hc-close",
    "reply": "#hc-body",
    "send": ".hc-send",
    "phone_input": "#phone-text",
    "phone_send": "form.phone-reply button[type=submit]",
}
# For one control, at one scroll position: is it the element at its centre, and does its box meet
# the widget's panel or launcher?
PROBE = """
const [control, block] = arguments;
control.scrollIntoView({block: block, inline: "nearest"});
const box = control.getBoundingClientRect();
const x = box.left + box.width / 2, y = box.top + box.height / 2;
const hit = document.elementFromPoint(x, y);
const root = document.getElementById("handoff-widget").shadowRoot;
const meets = (other) => {
  const r = other.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return false;
  return box.left < r.right && r.left < box.right && box.top < r.bottom && r.top < box.bottom;
};
return {
  on_top: hit !== null && (hit === control || control.contains(hit)),
  hit: hit === null ? null : (hit.id || hit.tagName.toLowerCase()),
  meets_panel: meets(root.querySelector(".panel")),
  meets_launcher: meets(root.querySelector(".launcher")),
  in_viewport: x >= 0 && x < innerWidth && y >= 0 && y < innerHeight,
};
"""

driver = headless_chrome(1920, 1080)
summary = {"covered": [], "viewports": []}
try:
    for width, height in VIEWPORTS:
        # The exact viewport (a window's size includes whatever the browser draws around it).
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        driver.get(base + "/demo")
        wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])
        shadow = wait.until(lambda d: d.find_element(By.ID, "handoff-widget").shadow_root)
        panel = shadow.find_element(By.CSS_SELECTOR, ".panel")
        wait.until(lambda d: panel.is_displayed())
        # The phone pane shows once /sim answers (the test server runs the simulator).
        phone = driver.find_element(By.CSS_SELECTOR, "section.phone")
        wait.until(lambda d: phone.is_displayed())
        # The console, signed in (once: the key stays for the tab), with a conversation open.
        if driver.find_element(By.ID, "hc-key").is_displayed():
            driver.find_element(By.ID, "hc-key").send_keys(api_key)
            driver.find_element(By.CSS_SELECTOR, ".hc-signin button[type=submit]").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".hc-list button[data-conversation]"))
        driver.find_element(By.CSS_SELECTOR, ".hc-list button[data-conversation]").click()
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".hc-send").is_enabled())
        viewport = driver.execute_script("return [innerWidth, innerHeight]")
        summary["viewports"].append(viewport)
        scroll_width = driver.execute_script("return document.documentElement.scrollWidth")
        if scroll_width > viewport[0]:
            summary["covered"].append({"viewport": viewport, "control": "page", "scroll_width": scroll_width})
        for name, selector in CONTROLS.items():
            control = driver.find_element(By.CSS_SELECTOR, selector)
            for block in ["start", "center", "end"]:
                probe = driver.execute_script(PROBE, control, block)
                if not probe["on_top"] or probe["meets_panel"] or probe["meets_launcher"] or not probe["in_viewport"]:
                    summary["covered"].append({"viewport": viewport, "control": name, "scrolled": block, **probe})
        if any(entry["viewport"] == viewport for entry in summary["covered"]):
            driver.execute_script("window.scrollTo(0, 0)")
            driver.save_screenshot("%s-%dx%d.png" % (screenshot_prefix, width, height))
    print(json.dumps(summary))
except Exception as error:  # report, screenshot, fail
    driver.save_screenshot(screenshot_prefix + "-error.png")
    print(json.dumps({"error": repr(error), "summary": summary}))
    sys.exit(1)
finally:
    driver.quit()
