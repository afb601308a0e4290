"""The agent console in real headless Chromium: two agents' consoles and two visitors. Visitor 1
chats on the web and asks for a person; visitor 2 takes the chat to a phone (the simulator's) and
texts. Agent A claims visitor 1's conversation and B's console shows it taken without a reload; A
answers visitor 2 from the console (the server's segment counter shown) and the text reaches the
phone; the phone texts again and the text appears in A's open conversation; B's stream drops, A
releases the conversation meanwhile, and B's console reconnects with Last-Event-ID and shows it.
Usage: console_check.py BASE_URL AGENT_A_KEY AGENT_B_KEY SCREENSHOT_PREFIX; prints a JSON summary,
exits 1 on failure (after saving a screenshot of each console). Loopback only."""
import http.cookiejar
import json
import sys
import time
import urllib.request

from browser import headless_chrome, shown_after_ms, watch_for_text
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

base, key_a, key_b, screenshot_prefix = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ORIGIN = "https://shop.example"
PHONE = "+14155550123"


class Visitor:
    """A widget visitor over the API: its own cookie jar, requests from the allowed origin."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(base + path, data=data, method=method)
        request.add_header("Origin", ORIGIN)
        if data:
            request.add_header("Content-Type", "application/json")
        with self.opener.open(request, timeout=5) as response:
            return json.load(response)


def phone_texts():
    with urllib.request.urlopen(base + "/sim/phones/%2B14155550123/messages", timeout=5) as response:
        return [m["body"] for m in json.load(response)["messages"]]


def text_from_phone(body):
    request = urllib.request.Request(
        base + "/sim/phones/%2B14155550123/reply", data=json.dumps({"body": body}).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    urllib.request.urlopen(request, timeout=5).read()


def until(condition, seconds=10, step=0.02):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            value = condition()
            if value:
                return value
        except StaleElementReferenceException:
            pass
        time.sleep(step)
    return None


# Wraps fetch so that the test can cut the console's event stream (as a dropped connection would),
# hold its reconnection back while it changes something (window.__held, a promise), and see the
# Last-Event-ID of each new stream request.
CUTTABLE_STREAMS = """
window.__streams = [];
window.__streamIds = [];
window.__held = null;
const originalFetch = window.fetch;
window.fetch = function (url, options) {
  if (String(url).indexOf("/v1/agent/events") < 0) return originalFetch(url, options);
  const open = function () {
    const cut = new AbortController();
    const theirs = options && options.signal;
    if (theirs) theirs.addEventListener("abort", () => cut.abort());
    window.__streams.push(cut);
    window.__streamIds.push((options.headers || {})["Last-Event-ID"] || null);
    return originalFetch(url, Object.assign({}, options, { signal: cut.signal }));
  };
  return window.__held ? window.__held.then(open) : open();
};
"""


def console(key, width=1280, height=800):
    driver = headless_chrome(width, height)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CUTTABLE_STREAMS})
    driver.get(base + "/console")
    wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])
    field = wait.until(lambda d: d.find_element(By.ID, "hc-key"))
    field.send_keys(key)
    driver.find_element(By.CSS_SELECTOR, ".hc-signin button[type=submit]").click()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".hc-work").is_displayed())
    return driver


def item(driver, conversation):
    found = driver.find_elements(By.CSS_SELECTOR, '.hc-list button[data-conversation="%s"]' % conversation)
    return found[0] if found else None


def open_conversation(driver, conversation):
    until(lambda: item(driver, conversation)).click()
    until(lambda: driver.find_element(By.CSS_SELECTOR, ".hc-send").is_enabled())


summary = {}
drivers = []
try:
    # Visitor 1 asks for a person on the web: routing escalates the conversation to `humans`.
    one = Visitor()
    first = one.call("POST", "/v1/sessions", {"display_name": "Dana Web"})["conversation_id"]
    one.call("POST", "/v1/messages", {"body": "Can I talk to a real person?"})
    # Visitor 2 continues by text: number, consent, the code from the simulated phone.
    two = Visitor()
    second = two.call("POST", "/v1/sessions", {"display_name": "Sam Phone"})["conversation_id"]
    two.call("POST", "/v1/messages", {"body": "Hi, about my order"})
    two.call("POST", "/v1/handoff", {"phone": PHONE, "consent": True})
    code = until(lambda: next((w.rstrip(".") for t in phone_texts() if "code is" in t
                               for w in t.split() if w.rstrip(".").isdigit()), None))
    two.call("POST", "/v1/handoff/verify", {"code": code})

    a = console(key_a)
    drivers.append(a)
    b = console(key_b)
    drivers.append(b)
    summary["signed_in_as"] = [d.find_element(By.CSS_SELECTOR, ".hc-me").text for d in drivers]
    summary["shortcuts_listed"] = "Alt" in a.find_element(By.CSS_SELECTOR, ".hc-keys").text
    # Every field has a label; every button says what it does.
    summary["unlabelled"] = a.execute_script(
        "return [...document.querySelectorAll('#handoff-console input, #handoff-console select,"
        " #handoff-console textarea')].filter(f => f.labels.length === 0).map(f => f.id || f.className)"
        ".concat([...document.querySelectorAll('#handoff-console button')]"
        ".filter(b => !(b.getAttribute('aria-label') || b.textContent.trim())).map(b => b.className))")
    summary["both_listed"] = bool(until(lambda: item(b, first) and item(b, second) and item(a, first)))
    summary["queue_counts"] = [q.get_attribute("aria-label") for q in a.find_elements(By.CSS_SELECTOR, ".hc-queues button")]
    summary["list_shows"] = item(a, first).text

    # B watches visitor 1's conversation; A claims it.
    open_conversation(b, first)
    open_conversation(a, first)
    watch_for_text(b, '.hc-list button[data-conversation="%s"]' % first, "Taken by Ann")
    claimed_at = time.time()
    a.find_element(By.CSS_SELECTOR, ".hc-assign").click()
    taken = until(lambda: "Taken by Ann" in item(b, first).text, seconds=5)
    summary["b_sees_taken_ms"] = shown_after_ms(b, claimed_at) if taken else None
    summary["b_detail_owner"] = b.find_element(By.CSS_SELECTOR, ".hc-facts").text
    summary["b_reloaded"] = b.execute_script("return performance.getEntriesByType('navigation').length") != 1

    # A answers visitor 2 from the console: the counter is the server's, the text reaches the phone.
    open_conversation(a, second)
    summary["identity_shown"] = a.find_element(By.CSS_SELECTOR, ".hc-facts").text
    body = a.find_element(By.ID, "hc-body")
    body.send_keys("Your order ships today")
    summary["counter_gsm"] = until(lambda: a.find_element(By.ID, "hc-counter").text, seconds=5)
    body.send_keys(" \U0001F600")
    summary["counter_ucs2"] = until(lambda: "UCS-2" in a.find_element(By.ID, "hc-counter").text
                                    and a.find_element(By.ID, "hc-counter").text, seconds=5)
    body.send_keys(Keys.CONTROL, Keys.ENTER)
    summary["reply_on_phone"] = bool(until(lambda: any("Your order ships today" in t for t in phone_texts())))

    # The phone texts: the text appears in A's open conversation.
    # Timed by the page, when the text enters the history, not when Selenium next looks: on a
    # loaded machine Selenium's own round trips made a text shown in time look late (1.24 s).
    before = len(a.find_elements(By.CSS_SELECTOR, ".hc-history .hc-msg"))
    watch_for_text(a, ".hc-history .hc-msg", "Thanks, from the phone")
    texted_at = time.time()
    text_from_phone("Thanks, from the phone")
    seen = until(lambda: any("Thanks, from the phone" in m.text
                             for m in a.find_elements(By.CSS_SELECTOR, ".hc-history .hc-msg")[before:]), seconds=5)
    summary["phone_text_ms"] = shown_after_ms(a, texted_at) if seen else None

    # B's stream drops; A releases visitor 1's conversation meanwhile: B reconnects with
    # Last-Event-ID and shows the change (nothing missed).
    # Held back until the release is made: the console reconnects a second after the cut, which a
    # loaded machine could spend before the release and the count below.
    b.execute_script("window.__held = new Promise(function (release) { window.__releaseStreams = release; });"
                     "window.__streams[window.__streams.length - 1].abort()")
    release = urllib.request.Request(base + "/v1/conversations/%s/unassign" % first, data=b"{}", method="POST")
    release.add_header("Authorization", "Bearer " + key_a)
    release.add_header("Content-Type", "application/json")
    urllib.request.urlopen(release, timeout=5).read()
    summary["b_streams_when_released"] = b.execute_script("return window.__streams.length")
    b.execute_script("window.__held = null; window.__releaseStreams()")
    released = until(lambda: "Unassigned" in item(b, first).text, seconds=5)
    summary["b_stream_ids"] = b.execute_script("return window.__streamIds")
    summary["b_caught_up_after_drop"] = bool(released)

    # Keyboard: Alt+L goes to the list, Alt+R to the reply box.
    a.find_element(By.TAG_NAME, "body").send_keys(Keys.ALT, "l")
    summary["alt_l_focus"] = a.execute_script("return document.activeElement.dataset.conversation || null")
    a.find_element(By.TAG_NAME, "body").send_keys(Keys.ALT, "r")
    summary["alt_r_focus"] = a.execute_script("return document.activeElement.id")
    # Focus order: from the reply box, Tab goes on to the template picker, then Send.
    order = []
    for _ in range(2):
        a.switch_to.active_element.send_keys(Keys.TAB)
        order.append(a.execute_script("return document.activeElement.id || document.activeElement.className"))
    summary["tab_after_reply"] = order

    # Usable at 1280x800 and on a tablet: nothing wider than the viewport, the reply box on screen
    # once scrolled to.
    widths = {}
    for width, height in [(1280, 800), (768, 1024)]:
        a.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        time.sleep(0.2)
        send = a.find_element(By.CSS_SELECTOR, ".hc-send")
        a.execute_script("arguments[0].scrollIntoView({block: 'center'})", send)
        widths["%dx%d" % (width, height)] = {
            "scroll_width": a.execute_script("return document.documentElement.scrollWidth"),
            "send_visible": a.execute_script(
                "const r = arguments[0].getBoundingClientRect();"
                "return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth", send),
            "columns": a.execute_script(
                "return getComputedStyle(document.querySelector('.hc-work')).gridTemplateColumns.split(' ').length"),
        }
    summary["viewports"] = widths
    checks = ["both_listed", "b_sees_taken_ms", "reply_on_phone", "phone_text_ms", "counter_ucs2",
              "b_caught_up_after_drop"]
    summary["failed"] = [name for name in checks if not summary.get(name)]
    if summary["failed"]:
        for index, driver in enumerate(drivers):
            driver.save_screenshot("%s-%s.png" % (screenshot_prefix, "ab"[index]))
    print(json.dumps(summary))
except Exception as error:  # report, screenshot, fail
    for index, driver in enumerate(drivers):
        driver.save_screenshot("%s-%s.png" % (screenshot_prefix, "ab"[index]))
    print(json.dumps({"error": repr(error), "summary": summary}))
    sys.exit(1)
finally:
    for driver in drivers:
        driver.quit()
