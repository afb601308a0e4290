"""The widget in a real headless Chromium: open /demo, chat as the visitor, answer as an agent
through the API, and see the reply arrive live in the widget.
Usage: widget_check.py BASE_URL API_KEY SCREENSHOT_PATH; prints a JSON summary, exits 1 on failure
(after saving a screenshot). Loopback only."""
import json
import sys
import time
import urllib.request

from browser import api_client, headless_chrome, shown_after_ms, watch_for_text
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, api_key, screenshot = sys.argv[1], sys.argv[2], sys.argv[3]




api = api_client(base, api_key)
driver = headless_chrome(1200, 900)
summary = {}
try:
    driver.get(base + "/demo")
    wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])
    shadow = wait.until(lambda d: d.find_element(By.ID, "handoff-widget").shadow_root)
    panel = shadow.find_element(By.CSS_SELECTOR, ".panel")
    wait.until(lambda d: panel.is_displayed())
    summary["panel_label"] = panel.get_attribute("aria-label")
    textarea = shadow.find_element(By.CSS_SELECTOR, "textarea")
    summary["input_labelled"] = shadow.find_element(By.CSS_SELECTOR, "label[for=handoff-input]") is not None
    textarea.send_keys("Hello from Chromium")
    shadow.find_element(By.CSS_SELECTOR, "form.send button[type=submit]").click()
    wait.until(lambda d: any("Hello from Chromium" in m.text for m in shadow.find_elements(By.CSS_SELECTOR, ".msg.inbound")))

    deadline = time.time() + 10
    conversation = None
    while time.time() < deadline and conversation is None:
        for candidate in api("GET", "/v1/conversations?limit=200")["conversations"]:
            history = api("GET", "/v1/conversations/%s/messages" % candidate["id"])["messages"]
            if any(m["body"] == "Hello from Chromium" for m in history):
                conversation = candidate["id"]
        time.sleep(0.1)
    summary["conversation_found"] = conversation is not None
    watch_for_text(driver, ".msg.outbound", "Agent says hi", host="handoff-widget")
    sent_at = time.time()
    api("POST", "/v1/conversations/%s/messages" % conversation, {"body": "Agent says hi", "author": "agent"})
    wait.until(lambda d: any("Agent says hi" in m.text for m in shadow.find_elements(By.CSS_SELECTOR, ".msg.outbound")))
    summary["reply_latency_ms"] = shown_after_ms(driver, sent_at)

    driver.set_window_size(375, 700)
    summary["mobile_panel_width"] = panel.size["width"]
    shadow.find_element(By.CSS_SELECTOR, ".go").click()
    phone_field = shadow.find_element(By.CSS_SELECTOR, "input[type=tel]")
    summary["phone_field_shown"] = phone_field.is_displayed()
    summary["consent_text"] = shadow.find_element(By.CSS_SELECTOR, ".consent-text").text

    # The handoff from the browser: number + consent, the code from the simulated phone, verify.
    phone_field.send_keys("(415) 555-0199")
    shadow.find_element(By.CSS_SELECTOR, "input[name=consent]").click()
    shadow.find_element(By.CSS_SELECTOR, ".phone-form button[type=submit]").click()
    code = None
    deadline = time.time() + 10
    while code is None and time.time() < deadline:
        with urllib.request.urlopen(base + "/sim/phones/%2B14155550199/messages", timeout=5) as response:
            texts = [m["body"] for m in json.load(response)["messages"]]
        words = [w.rstrip(".") for t in texts if "code is" in t for w in t.split() if w.rstrip(".").isdigit()]
        code = words[0] if words else None
        time.sleep(0.1)
    summary["code_received"] = code is not None
    code_field = wait.until(lambda d: shadow.find_element(By.CSS_SELECTOR, ".code-form input"))
    wait.until(lambda d: code_field.is_displayed())
    code_field.send_keys(code)
    shadow.find_element(By.CSS_SELECTOR, ".code-form button[type=submit]").click()
    wait.until(lambda d: "continues by text" in shadow.find_element(By.CSS_SELECTOR, ".notice").text)
    summary["handoff_active"] = True
    stop = shadow.find_element(By.CSS_SELECTOR, ".stop")
    wait.until(lambda d: stop.is_displayed())
    stop.click()
    wait.until(lambda d: "Texts are stopped" in shadow.find_element(By.CSS_SELECTOR, ".notice").text)
    summary["stopped_from_widget"] = True
    print(json.dumps(summary))
except Exception as error:  # report, screenshot, fail
    driver.save_screenshot(screenshot)
    print(json.dumps({"error": repr(error), "summary": summary, "screenshot": screenshot}))
    sys.exit(1)
finally:
    driver.quit()
