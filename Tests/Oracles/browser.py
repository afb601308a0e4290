"""What the browser checks share: a headless Chromium through Debian's chromedriver, and the
bot/agent API called with a key. Loopback only."""
import json
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service


def headless_chrome(width, height):
    options = Options()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=%d,%d" % (width, height)]:
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def api_client(base, api_key):
    """A function (method, path, body=None) -> the JSON answer of the API under `base`."""
    def api(method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(base + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + api_key)
        if data:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)
    return api


# Notes in the page (window.__seenAt, ms since the epoch) when an element matching arguments[0]
# (under the shadow root of the element with id arguments[2], if given) first holds the text
# arguments[1].
WATCH_FOR_TEXT = """
const [selector, text, host] = arguments;
const root = host ? document.getElementById(host).shadowRoot : document;
window.__seenAt = null;
const look = () => {
  if (window.__seenAt !== null) return;
  if ([...root.querySelectorAll(selector)].some(e => e.textContent.includes(text))) window.__seenAt = Date.now();
};
new MutationObserver(look).observe(host ? root : document.body, {childList: true, subtree: true, characterData: true});
"""


def watch_for_text(driver, selector, text, host=None):
    """From now on, notes in the page when `text` is first shown in an element matching `selector`
    (under `host`'s shadow root when given): latencies timed by the page itself, not by when
    Selenium next looks (on a loaded machine its own round trips took most of a second)."""
    driver.execute_script(WATCH_FOR_TEXT, selector, text, host)


def shown_after_ms(driver, since):
    """Milliseconds from `since` (time.time()) until the page showed what `watch_for_text` awaits."""
    seen_at = driver.execute_script("return window.__seenAt")
    return round(seen_at - since * 1000) if seen_at else None
