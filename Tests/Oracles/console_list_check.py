"""The agent console's list in real headless Chromium: signs in with an API key and reads, once
the list first shows conversations, the id of every conversation listed and the "All open" count.
Usage: console_list_check.py BASE_URL API_KEY; prints a JSON summary {"listed": [ids], "all_open":
text}. Loopback only."""
import json
import sys
import time

from browser import headless_chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, key = sys.argv[1], sys.argv[2]
LISTED = "return [...document.querySelectorAll('.hc-list button[data-conversation]')].map(b => b.dataset.conversation)"

driver = headless_chrome(1280, 800)
try:
    driver.get(base + "/console")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "hc-key")).send_keys(key)
    driver.find_element(By.CSS_SELECTOR, ".hc-signin button[type=submit]").click()
    # The list is drawn once every page has loaded.
    deadline = time.time() + 60
    listed = []
    while not listed and time.time() < deadline:
        time.sleep(0.1)
        listed = driver.execute_script(LISTED)
    all_open = driver.find_element(By.CSS_SELECTOR, '.hc-queues button[data-view="all"] .hc-count').text
    print(json.dumps({"listed": listed, "all_open": all_open}))
finally:
    driver.quit()
