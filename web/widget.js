/* Handoff chat widget: one <script> tag, no dependencies.
 *   <script src="https://chat.example.com/widget.js" data-api="https://chat.example.com"
 *           data-brand="Acme Support" defer></script>
 * A site that knows its visitor adds data-external-id and data-identity-hash (API.md "Identity").
 * Talks to the Handoff API with the session cookie (credentials: include), shows live replies over
 * Server-Sent Events (the browser reconnects with Last-Event-ID), and offers
 * "Take this chat on the go?" (phone number + consent, then the code sent by SMS).
 * The golden window: when a question waits longer than data-offer-after seconds (default 45;
 * "off" turns it off) for a bot or an agent, or the visitor hides the tab with a question
 * unanswered (data-offer-on-hide="false" turns it off), the conversation itself asks
 * "Can we text you the answer?"; agents can offer the same through the API. */
(function () {
  "use strict";
  var script = document.currentScript;
  var api = ((script && script.getAttribute("data-api")) || (script ? new URL(script.src).origin : "")).replace(/\/$/, "");
  var brand = (script && script.getAttribute("data-brand")) || "Chat";
  var openAtStart = script && script.getAttribute("data-open") === "true";
  var offerAfterAttribute = script && script.getAttribute("data-offer-after");
  var offerAfterSeconds = offerAfterAttribute === "off" ? 0 : Number(offerAfterAttribute || 45) || 0;
  var offerOnHide = !(script && script.getAttribute("data-offer-on-hide") === "false");
  // The program the texts are for (GET /v1/programs); its disclosure is the one shown and recorded.
  var program = (script && script.getAttribute("data-program")) || undefined;
  // Verified identity: the site's id for a signed-in visitor and its hex HMAC-SHA256 under the
  // site's identity secret, computed by the site's server (the secret never reaches the page).
  var externalId = (script && script.getAttribute("data-external-id")) || undefined;
  var identityHash = (script && script.getAttribute("data-identity-hash")) || undefined;
  // The campaign that brought the visitor, kept on the conversation (with the page's utm_ fields).
  var campaign = (script && script.getAttribute("data-campaign")) || undefined;
  var consentText = (script && script.getAttribute("data-consent")) ||
    "I agree to receive text messages about this conversation from " + brand +
    ". Message frequency varies. Msg & data rates may apply. Reply STOP to opt out, HELP for help.";

  var host = document.createElement("div");
  host.id = "handoff-widget";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  root.innerHTML =
    "<style>" +
    ":host{all:initial}*{box-sizing:border-box;font:15px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}" +
    ".launcher{position:fixed;right:20px;bottom:20px;border:0;border-radius:28px;padding:14px 20px;background:#1f4fd1;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000}" +
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}" +
    ".panel{position:fixed;right:20px;bottom:84px;width:360px;max-height:min(600px,calc(100vh - 110px));display:flex;flex-direction:column;background:#fff;color:#1b1b1b;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden;z-index:2147483000}" +
    ".panel[hidden]{display:none}header{display:flex;justify-content:space-between;align-items:center;padding:12px 14px;background:#1f4fd1;color:#fff}" +
    "header h2{margin:0;font-size:16px;font-weight:600}header button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}" +
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;min-height:160px}" +
    ".msg{max-width:82%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}" +
    ".msg.inbound{align-self:flex-end;background:#1f4fd1;color:#fff}.msg.outbound{align-self:flex-start;background:#eef1f6}" +
    ".msg small{display:block;font-size:11px;opacity:.75;margin-top:3px}.msg.failed{outline:2px solid #c62828}" +
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e3e6ec;align-items:flex-end}" +
    "textarea{flex:1;resize:none;border:1px solid #b9c0cc;border-radius:8px;padding:8px;min-height:40px;max-height:120px}" +
    "button.primary{background:#1f4fd1;color:#fff;border:0;border-radius:8px;padding:9px 14px;cursor:pointer}" +
    "button.link{background:none;border:0;color:#1f4fd1;text-decoration:underline;cursor:pointer;padding:6px 12px;text-align:left}" +
    ".handoff{padding:10px 14px;border-top:1px solid #e3e6ec;display:flex;flex-direction:column;gap:8px}" +
    ".handoff[hidden]{display:none}.handoff label{display:flex;flex-direction:column;gap:4px;font-size:14px}" +
    ".handoff input[type=tel],.handoff input[type=text]{border:1px solid #b9c0cc;border-radius:8px;padding:8px}" +
    ".consent{display:flex;flex-direction:row!important;gap:8px;align-items:flex-start;font-size:12px!important;color:#444}" +
    ".notice{font-size:13px;padding:6px 14px;color:#7a4b00;background:#fff4e0}.notice[hidden]{display:none}" +
    ".offer{align-self:stretch;border:1px solid #1f4fd1;border-radius:12px;padding:10px;background:#f5f8ff;display:flex;flex-direction:column;gap:6px}" +
    ".offer p{margin:0}.offer .offer-title{font-weight:600}.offer form{padding:0;border:0;flex-direction:column;align-items:stretch}" +
    ".offer label{display:flex;flex-direction:column;gap:4px;font-size:14px}.offer input[type=tel]{border:1px solid #b9c0cc;border-radius:8px;padding:8px}" +
    ".offer .actions{display:flex;gap:8px;align-items:center}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-height:100vh;height:100vh;border-radius:0}}" +
    "</style>" +
    '<button class="launcher" type="button" aria-expanded="false" aria-controls="handoff-panel">Chat with us</button>' +
    '<section class="panel" id="handoff-panel" role="dialog" aria-label="' + escapeHTML(brand) + ' chat" hidden>' +
    '<header><h2>' + escapeHTML(brand) + '</h2><button type="button" class="close" aria-label="Close chat">×</button></header>' +
    '<div class="notice" role="alert" hidden></div>' +
    '<div class="log" role="log" aria-live="polite" aria-label="Conversation"></div>' +
    '<button type="button" class="link go">Take this chat on the go?</button>' +
    '<button type="button" class="link stop" hidden>Stop texting me</button>' +
    '<div class="handoff phone" hidden><form class="phone-form">' +
    '<div style="flex:1;display:flex;flex-direction:column;gap:8px">' +
    '<label>Mobile number<input type="tel" name="phone" autocomplete="tel" required></label>' +
    '<label class="consent"><input type="checkbox" name="consent" required><span class="consent-text"></span></label>' +
    '<button class="primary" type="submit">Text me</button></div></form></div>' +
    '<div class="handoff code" hidden><form class="code-form">' +
    '<div style="flex:1;display:flex;flex-direction:column;gap:8px">' +
    '<label>Code we just texted you<input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required></label>' +
    '<button class="primary" type="submit">Confirm</button></div></form></div>' +
    '<form class="send"><label class="sr" for="handoff-input">Message</label>' +
    '<textarea id="handoff-input" name="body" rows="1" placeholder="Type a message…" required></textarea>' +
    '<button class="primary" type="submit">Send</button></form>' +
    "</section>";

  var $ = function (selector) { return root.querySelector(selector); };
  var launcher = $(".launcher"), panel = $(".panel"), log = $(".log"), notice = $(".notice");
  var input = $("textarea"), sendForm = $("form.send");
  $(".consent-text").textContent = consentText;
  var shown = {};
  var started = null;
  // The golden window: the visitor's newest question, whether it was answered, and the offers.
  var question = null, offerTimer = null, offerDeclined = false, handoffState = "none";
  var offeredQuestions = {}, offerCards = {};

  function escapeHTML(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function request(method, path, body) {
    var options = { method: method, credentials: "include", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(api + path, options).then(function (response) {
      return response.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        if (!response.ok) {
          var error = new Error((json && json.error && json.error.message) || "Something went wrong (" + response.status + ").");
          error.status = response.status;
          error.code = json && json.error && json.error.code;
          throw error;
        }
        return json;
      });
    });
  }

  function say(text) {
    notice.textContent = text || "";
    notice.hidden = !text;
  }

  function render(message, fromHistory) {
    noteQuestion(message, fromHistory === true);
    var node = shown[message.id];
    if (!node) {
      node = document.createElement("div");
      shown[message.id] = node;
      log.appendChild(node);
    }
    node.className = "msg " + message.direction + (message.status === "failed" ? " failed" : "");
    node.setAttribute("data-id", message.id);
    node.textContent = message.body;
    var meta = document.createElement("small");
    var who = message.author === "visitor" ? "You" : message.author === "agent" ? "Agent" : message.author === "bot" ? brand : "";
    meta.textContent = [who, message.channel === "sms" ? "by text" : "", message.status === "sending" ? "sending…" : ""]
      .filter(Boolean).join(" · ");
    node.appendChild(meta);
    log.scrollTop = log.scrollHeight;
  }

  function loadHistory(after) {
    return request("GET", "/v1/messages?limit=200" + (after ? "&after=" + encodeURIComponent(after) : ""))
      .then(function (page) {
        page.messages.forEach(function (message) { render(message, true); });
        if (page.next_after) return loadHistory(page.next_after);
      });
  }

  function listen() {
    if (!window.EventSource) return;
    var events = new EventSource(api + "/v1/events", { withCredentials: true });
    events.addEventListener("message", function (event) {
      try { render(JSON.parse(event.data)); } catch (e) { /* ignore malformed */ }
    });
    events.addEventListener("message_status", function (event) {
      try {
        var status = JSON.parse(event.data);
        var node = shown[status.id];
        if (node) node.classList.toggle("failed", status.status === "failed");
      } catch (e) { /* ignore */ }
    });
    events.addEventListener("handoff", function (event) {
      try { showHandoff(JSON.parse(event.data)); } catch (e) { /* ignore */ }
    });
    events.addEventListener("handoff_offer", function (event) {
      try { showOffer(JSON.parse(event.data)); } catch (e) { /* ignore */ }
    });
    events.onopen = function () { say(""); };
    events.onerror = function () { say("Reconnecting…"); };
  }

  function showHandoff(handoff) {
    var state = handoff && handoff.state;
    handoffState = state || "none";
    if (state === "active" || state === "pending_verification" || state === "opted_out") removeOffers();
    $(".go").hidden = state === "active" || state === "pending_verification";
    $(".handoff.code").hidden = state !== "pending_verification";
    $(".stop").hidden = state !== "active";
    if (state === "active") say("This chat continues by text at " + (handoff.phone_masked || "your phone") + ".");
    if (state === "opted_out") say("Texts are stopped. You can keep chatting here.");
    if (handoff && handoff.notice === "use_code") say("To continue by text, type the code we texted you.");
  }

  function start() {
    if (started) return started;
    started = request("POST", "/v1/sessions", {
      locale: navigator.language,
      program: program,
      external_id: externalId,
      identity_hash: identityHash,
      campaign: campaign,
      timezone: (Intl.DateTimeFormat().resolvedOptions() || {}).timeZone,
      // The server keeps at most 2048 characters of the page; a longer address loses its query.
      page_url: location.href.length <= 2048 ? location.href : (location.origin + location.pathname).slice(0, 2048)
    }).then(function (session) {
      // The server's disclosure is the one recorded when the visitor ticks the box.
      if (session.consent_text) { consentText = session.consent_text; $(".consent-text").textContent = consentText; }
      showHandoff(session.handoff);
      listen();
      return loadHistory();
    }).catch(function (error) {
      started = null;
      say("The chat is unavailable right now. " + error.message);
    });
    return started;
  }

  function toggle(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) { start(); input.focus(); } else { launcher.focus(); }
  }

  function clientID() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function send(body, id) {
    var pending = { id: "pending-" + id, direction: "inbound", author: "visitor", body: body, status: "sending", channel: "web" };
    render(pending);
    return request("POST", "/v1/messages", { body: body, client_id: id }).then(function (result) {
      var node = shown[pending.id];
      delete shown[pending.id];
      if (shown[result.message.id]) { node.remove(); } else { shown[result.message.id] = node; render(result.message); }
    }).catch(function (error) {
      pending.status = "failed";
      render(pending);
      say(error.status === 429 ? "You are sending messages quickly; wait a moment." : error.message);
    });
  }

  launcher.addEventListener("click", function () { toggle(panel.hidden); });
  $(".close").addEventListener("click", function () { toggle(false); });
  root.addEventListener("keydown", function (event) { if (event.key === "Escape" && !panel.hidden) toggle(false); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); sendForm.requestSubmit(); }
  });
  sendForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value;
    if (!body.trim()) return;
    input.value = "";
    start().then(function () { return send(body, clientID()); });
  });
  $(".go").addEventListener("click", function () {
    var phone = $(".handoff.phone");
    phone.hidden = !phone.hidden;
    if (!phone.hidden) phone.querySelector("input[type=tel]").focus();
  });
  $(".stop").addEventListener("click", function () {
    request("DELETE", "/v1/handoff")
      .then(function (result) { showHandoff(result.handoff); })
      .catch(function (error) { say(error.message); });
  });
  // Phone number and consent, from the link's form or an offer card: the code goes out.
  function requestTexts(form) {
    return request("POST", "/v1/handoff", { phone: form.phone.value, consent: form.consent.checked, program: program })
      .then(function (result) {
        $(".handoff.phone").hidden = true;
        showHandoff(result.handoff);
        say("We texted a code to " + result.handoff.phone_masked + ". Type it below" +
          (result.handoff.confirm_by_reply ? ", or reply YES to that text." : "."));
        $(".code-form input").focus();
      })
      .catch(function (error) {
        say(error.message);
      });
  }
  $(".phone-form").addEventListener("submit", function (event) {
    event.preventDefault();
    requestTexts(event.target);
  });

  // The golden window. A visitor's message is a question until a bot or an agent answers it.
  function noteQuestion(message, fromHistory) {
    if (!message.id || String(message.id).indexOf("pending-") === 0) return;
    if (message.author === "visitor") {
      if (question && question.id === message.id) return;
      var at = fromHistory ? Date.parse(message.created_at) || Date.now() : Date.now();
      question = { id: message.id, at: Math.min(at, Date.now()), answered: false };
      scheduleOffer();
    } else if ((message.author === "agent" || message.author === "bot") && question && !question.answered) {
      if (Date.parse(message.created_at) < question.at - 5000) return;
      question.answered = true;
      clearTimeout(offerTimer);
    }
  }
  function scheduleOffer() {
    clearTimeout(offerTimer);
    if (!offerAfterSeconds || !question) return;
    var wait = Math.max(0, question.at + offerAfterSeconds * 1000 - Date.now());
    offerTimer = setTimeout(function () { offer("slow_answer"); }, wait);
  }
  function mayOffer() {
    return question && !question.answered && !offerDeclined && !offeredQuestions[question.id] &&
      handoffState !== "active" && handoffState !== "pending_verification" && handoffState !== "opted_out";
  }
  // The server stores the offer (once per question, never after "No thanks"); the card shows once it did.
  function offer(reason) {
    if (!mayOffer()) return;
    offeredQuestions[question.id] = true;
    request("POST", "/v1/handoff/offers", { reason: reason, question_id: question.id })
      .then(function (result) { showOffer(result.offer); })
      .catch(function (error) { if (error.code === "offer_declined") offerDeclined = true; });
  }
  document.addEventListener("visibilitychange", function () {
    if (offerOnHide && document.visibilityState === "hidden") offer("tab_hidden");
  });
  function showOffer(offer) {
    if (!offer || offer.state !== "shown" || offerCards[offer.id]) return;
    if (handoffState === "active" || handoffState === "pending_verification" || handoffState === "opted_out") return;
    var card = document.createElement("div");
    card.className = "offer";
    card.setAttribute("role", "status");
    card.setAttribute("aria-live", "polite");
    card.setAttribute("data-offer-id", offer.id);
    card.innerHTML =
      '<p class="offer-title">Can we text you the answer?</p>' +
      "<p>Leave if you need to: the answer comes to your phone, and you can reply by text.</p>" +
      '<form class="offer-form"><label>Mobile number<input type="tel" name="phone" autocomplete="tel" required></label>' +
      '<label class="consent"><input type="checkbox" name="consent" required><span></span></label>' +
      '<div class="actions"><button class="primary" type="submit">Text me</button>' +
      '<button class="link decline" type="button">No thanks</button></div></form>';
    card.querySelector(".consent span").textContent = consentText;
    card.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      requestTexts(event.target);
    });
    card.querySelector(".decline").addEventListener("click", function () {
      offerDeclined = true;
      card.remove();
      delete offerCards[offer.id];
      request("POST", "/v1/handoff/offers/" + encodeURIComponent(offer.id) + "/decline")
        .then(function () { say("No problem: we will keep chatting here."); })
        .catch(function (error) { say(error.message); });
    });
    offerCards[offer.id] = card;
    log.appendChild(card);
    log.scrollTop = log.scrollHeight;
    if (panel.hidden) { panel.hidden = false; launcher.setAttribute("aria-expanded", "true"); }
  }
  function removeOffers() {
    Object.keys(offerCards).forEach(function (id) { offerCards[id].remove(); delete offerCards[id]; });
  }
  $(".code-form").addEventListener("submit", function (event) {
    event.preventDefault();
    request("POST", "/v1/handoff/verify", { code: event.target.code.value })
      .then(function (result) { $(".handoff.code").hidden = true; showHandoff(result.handoff); })
      .catch(function (error) { say(error.message); });
  });

  function mount() {
    document.body.appendChild(host);
    if (openAtStart) toggle(true);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
