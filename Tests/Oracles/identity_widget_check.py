"""The widget's data-external-id, data-identity-hash and data-campaign in a real headless Chromium:
open /demo with them in its query (the demo hands them to the widget), and read back through the
API the contact the widget's session bound and the conversation it started.
Usage: identity_widget_check.py BASE_URL API_KEY QUERY EXTERNAL_ID; prints
{"contact": ..., "conversations": [...]}, exits 1 when no contact has the id within 15 s.
Loopback only."""
import json
import sys
import time
import urllib.error
import urllib.parse

from browser import api_client, headless_chrome

base, api_key, query, external_id = sys.argv[1:5]
api = api_client(base, api_key)
driver = headless_chrome(1280, 800)
try:
    driver.get(base + "/demo?" + query)
    deadline = time.time() + 15
    contact = None
    while contact is None and time.time() < deadline:
        try:
            contact = api("GET", "/v1/contacts?external_id=" + urllib.parse.quote(external_id))["contact"]
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
            time.sleep(0.2)
    if contact is None:
        print(json.dumps({"error": "no contact has the external id"}))
        sys.exit(1)
    conversations = api("GET", "/v1/contacts/%s/conversations" % contact["id"])["conversations"]
    print(json.dumps({"contact": contact, "conversations": conversations}))
finally:
    driver.quit()
