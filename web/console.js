/* Handoff agent console: no framework, no build step. Mounts into <div id="handoff-console"> (the
 * /console page, and the operator pane of /demo).
 * An agent signs in with their key (kept in sessionStorage for this tab only); everything shown
 * comes from the API with that key: GET /v1/agent/me (who), /v1/queues (counts), /v1/conversations
 * (the list), one conversation with its messages and contact, /v1/templates (the picker), POST
 * /v1/sms/preview (the segment counter: the server's rules, not a copy). Live over
 * GET /v1/agent/events without polling: EventSource cannot send an Authorization header, so the
 * stream is read with fetch() and a ReadableStream reader, and a dropped stream reconnects with
 * Last-Event-ID (nothing missed, nothing repeated). The clock only redraws countdowns. */
(function () {
  "use strict";
  var mount = document.getElementById("handoff-console");
  if (!mount) return;
  var STORAGE_KEY = "handoff-console-key";
  var RESOLUTIONS = ["resolved", "unresolved", "spam"];

  var state = {
    key: null,
    me: null,                 // the named agent ({id, name, role, queues}) or null for an API key
    conversations: {},        // id -> conversation (not closed), as the API shows it
    queues: [],               // GET /v1/queues
    view: "all",              // "all" | "mine" | "unassigned" | "queue:NAME"
    selected: null,           // conversation id
    messages: [],             // the selected conversation's history
    contact: null,            // the selected conversation's contact (GET /v1/contacts/{id})
    templates: [],
    lastEventId: null,
    stream: null,             // AbortController of the open stream
    pending: null,            // events that came while the lists loaded (applied after them)
    previewTimer: null,
    queuesTimer: null
  };

  mount.classList.add("hc");
  mount.innerHTML = [
    '<style>',
    '.hc{container-type:inline-size;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1b1b1b}',
    '.hc *{box-sizing:border-box}',
    '.hc button,.hc input,.hc select,.hc textarea{font:inherit}',
    '.hc button{padding:6px 11px;border:0;border-radius:7px;background:#1f4fd1;color:#fff;cursor:pointer}',
    '.hc button.secondary{background:#5c6778}.hc button:disabled{background:#aab1bd;cursor:not-allowed}',
    '.hc input,.hc select,.hc textarea{padding:6px 8px;border:1px solid #b9c0cc;border-radius:7px;background:#fff;color:#1b1b1b}',
    '.hc :focus-visible{outline:3px solid #ffbf47;outline-offset:2px}',
    '.hc-top{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;justify-content:space-between;margin-bottom:10px}',
    '.hc-top h2{margin:0;font-size:18px}.hc-who{display:flex;gap:8px;align-items:center}',
    '.hc-signin{display:flex;flex-wrap:wrap;gap:8px;align-items:center}',
    '.hc-status{min-height:1.4em;color:#444;font-size:13px;margin:4px 0}.hc-status.error{color:#b00020}',
    '.hc-work{display:grid;gap:12px;grid-template-columns:minmax(0,1fr)}',
    '.hc-work[hidden],.hc-signin[hidden],.hc [hidden]{display:none!important}',
    '@container (min-width:700px){.hc-work{grid-template-columns:270px minmax(0,1fr)}.hc-side{grid-row:span 2}}',
    '@container (min-width:1100px){.hc-work{grid-template-columns:190px 290px minmax(0,1fr)}.hc-side{display:contents}}',
    '.hc-pane{background:#fff;border:1px solid #dde2ea;border-radius:9px;padding:10px;min-width:0}',
    '.hc-pane h3{margin:0 0 8px;font-size:14px}',
    '.hc-queues ul,.hc-list ul{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:5px}',
    '.hc-queues button{width:100%;text-align:left;background:#eef1f6;color:#1b1b1b;display:flex;justify-content:space-between;gap:6px}',
    '.hc-queues button[aria-pressed=true]{background:#1f4fd1;color:#fff}',
    '.hc-list ul{max-height:60vh;overflow:auto}',
    '.hc-list button{width:100%;text-align:left;background:#fff;color:#1b1b1b;border:1px solid #dde2ea;display:grid;gap:2px}',
    '.hc-list button[aria-current=true]{border-color:#1f4fd1;box-shadow:0 0 0 2px #1f4fd1 inset}',
    '.hc-name{font-weight:600}.hc-last{color:#444;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}',
    '.hc-meta{font-size:12px;color:#555;display:flex;flex-wrap:wrap;gap:4px 10px}.hc-late{color:#b00020;font-weight:600}',
    '.hc-owner{font-size:12px}',
    '.hc-detail{display:flex;flex-direction:column;gap:10px}',
    '.hc-facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 12px;margin:0;font-size:13px}',
    '.hc-facts dt{color:#555}.hc-facts dd{margin:0;overflow-wrap:anywhere}',
    '.hc-actions{display:flex;flex-wrap:wrap;gap:6px;align-items:center}',
    '.hc-history{border:1px solid #dde2ea;border-radius:8px;padding:8px;min-height:140px;max-height:max(180px,calc(100vh - 460px));overflow:auto;background:#fafbfd}',
    '.hc-hidden-label{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    '.hc-msg{margin:4px 0;padding:6px 9px;border-radius:9px;max-width:88%;white-space:pre-wrap;overflow-wrap:anywhere}',
    '.hc-msg.inbound{background:#fff;border:1px solid #dde2ea}.hc-msg.outbound{background:#e6edff;margin-left:auto}',
    '.hc-msg small{display:block;font-size:11px;color:#555}',
    '.hc-reply{display:grid;gap:6px}.hc-reply textarea{width:100%;min-height:64px;resize:vertical}',
    '.hc-reply-row{display:flex;flex-wrap:wrap;gap:8px;align-items:center;justify-content:space-between}',
    '.hc-counter{font-size:12px;color:#444}.hc-counter.over{color:#b00020;font-weight:600}',
    '.hc-keys{font-size:12px;color:#444;margin-top:10px}.hc-keys dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:4px 0 0}',
    '.hc-keys dd{margin:0}.hc kbd{font:12px ui-monospace,monospace;background:#eef1f6;border:1px solid #cfd5df;border-radius:4px;padding:0 4px}',
    '</style>',
    '<div class="hc-top">',
    '  <h2>Agent console</h2>',
    '  <div class="hc-who" hidden><span class="hc-me"></span><button type="button" class="secondary hc-signout">Sign out</button></div>',
    '</div>',
    '<form class="hc-signin" aria-label="Sign in">',
    '  <label for="hc-key">Agent key</label>',
    '  <input id="hc-key" type="password" autocomplete="off" size="28" required>',
    '  <button type="submit">Sign in</button>',
    '</form>',
    '<p class="hc-status" role="status" aria-live="polite"></p>',
    '<div class="hc-work" hidden>',
    '  <div class="hc-side">',
    '    <nav class="hc-pane hc-queues" aria-labelledby="hc-queues-h"><h3 id="hc-queues-h">Queues</h3><ul></ul></nav>',
    '    <section class="hc-pane hc-list" aria-labelledby="hc-list-h"><h3 id="hc-list-h">Conversations</h3><ul></ul></section>',
    '  </div>',
    '  <section class="hc-pane hc-detail" aria-labelledby="hc-title">',
    '    <h3 id="hc-title">No conversation selected</h3>',
    '    <dl class="hc-facts"></dl>',
    '    <div class="hc-actions" role="group" aria-label="Conversation actions">',
    '      <button type="button" class="hc-assign">Assign to me</button>',
    '      <button type="button" class="secondary hc-unassign">Release</button>',
    '      <label for="hc-transfer-to">Transfer to</label><select id="hc-transfer-to"></select>',
    '      <button type="button" class="secondary hc-transfer">Transfer</button>',
    '      <button type="button" class="secondary hc-handback">Hand back to bot</button>',
    '      <button type="button" class="secondary hc-offer">Offer texting</button>',
    '      <label for="hc-resolution">Resolution</label><select id="hc-resolution"></select>',
    '      <button type="button" class="secondary hc-close">Close</button>',
    '    </div>',
    '    <div class="hc-history" role="log" aria-live="polite" aria-label="Conversation history" tabindex="0"></div>',
    '    <form class="hc-reply" aria-label="Reply">',
    '      <label for="hc-body" class="hc-hidden-label">Reply</label>',
    '      <textarea id="hc-body" required aria-describedby="hc-counter" placeholder="Reply…"></textarea>',
    '      <div class="hc-reply-row">',
    '        <span><label for="hc-template">Template</label> <select id="hc-template"><option value="">None</option></select></span>',
    '        <span id="hc-counter" class="hc-counter" aria-live="polite"></span>',
    '        <button type="submit" class="hc-send">Send</button>',
    '      </div>',
    '    </form>',
    '  </section>',
    '</div>',
    '<section class="hc-keys" aria-labelledby="hc-keys-h">',
    '  <h3 id="hc-keys-h">Keyboard shortcuts</h3>',
    '  <dl>',
    '    <dt><kbd>Alt</kbd>+<kbd>J</kbd> / <kbd>Alt</kbd>+<kbd>K</kbd></dt><dd>next / previous conversation</dd>',
    '    <dt><kbd>Alt</kbd>+<kbd>L</kbd></dt><dd>go to the conversation list</dd>',
    '    <dt><kbd>Alt</kbd>+<kbd>R</kbd></dt><dd>go to the reply box</dd>',
    '    <dt><kbd>Ctrl</kbd>+<kbd>Enter</kbd></dt><dd>send the reply</dd>',
    '    <dt><kbd>Alt</kbd>+<kbd>A</kbd></dt><dd>assign to me</dd>',
    '    <dt><kbd>Alt</kbd>+<kbd>T</kbd></dt><dd>transfer to the chosen queue</dd>',
    '    <dt><kbd>Alt</kbd>+<kbd>H</kbd></dt><dd>hand back to the bot</dd>',
    '    <dt><kbd>Alt</kbd>+<kbd>C</kbd></dt><dd>close with the chosen resolution</dd>',
    '  </dl>',
    '</section>'
  ].join("\n");

  function $(selector) { return mount.querySelector(selector); }
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function status(text, isError) {
    var node = $(".hc-status");
    node.textContent = text || "";
    node.classList.toggle("error", !!isError);
    node.setAttribute("role", isError ? "alert" : "status");
  }

  // MARK: the API

  function api(method, path, body) {
    var options = { method: method, headers: { Authorization: "Bearer " + state.key } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      return response.text().then(function (text) {
        var json = text ? JSON.parse(text) : {};
        if (!response.ok) {
          var error = new Error(json.error ? json.error.message : "HTTP " + response.status);
          error.status = response.status;
          error.code = json.error && json.error.code;
          throw error;
        }
        return json;
      });
    });
  }

  /** Every page of a list, following next_after to its end (or to `pages` pages of 200). */
  function allPages(path, field, pages) {
    var items = [];
    function next(after, left) {
      var separator = path.indexOf("?") < 0 ? "?" : "&";
      return api("GET", path + separator + "limit=200" + (after ? "&after=" + encodeURIComponent(after) : ""))
        .then(function (page) {
          items = items.concat(page[field] || []);
          return page.next_after && left > 1 ? next(page.next_after, left - 1) : items;
        });
    }
    return next(null, pages || Infinity);
  }

  // MARK: signing in

  function signIn(key) {
    state.key = key;
    return api("GET", "/v1/agent/me").then(function (who) {
      state.me = who.agent;
      sessionStorage.setItem(STORAGE_KEY, key);
      $(".hc-signin").hidden = true;
      $(".hc-who").hidden = false;
      $(".hc-me").textContent = state.me
        ? "Signed in as " + state.me.name + (state.me.role === "supervisor" ? " (supervisor)" : "")
        : "Signed in with an API key (not a named agent: claiming needs an agent key)";
      $(".hc-work").hidden = false;
      status("");
      // The stream first, then the lists: a change made while they load is held and applied
      // after them (applying an event twice changes nothing), so none falls between the two.
      state.pending = [];
      return openStream();
    }).then(function () {
      return Promise.all([loadQueues(), loadConversations(), loadTemplates()]);
    }).then(function () {
      var held = state.pending || [];
      state.pending = null;
      held.forEach(function (event) { handleEvent(event[0], event[1], event[2]); });
      render();
    }).catch(function (error) {
      state.key = null;
      sessionStorage.removeItem(STORAGE_KEY);
      status(error.status === 401 ? "That key is not valid." : "Sign-in failed: " + error.message, true);
    });
  }

  function signOut() {
    if (state.stream) state.stream.abort();
    sessionStorage.removeItem(STORAGE_KEY);
    state.key = null;
    state.me = null;
    state.conversations = {};
    state.selected = null;
    state.lastEventId = null;
    $(".hc-work").hidden = true;
    $(".hc-who").hidden = true;
    $(".hc-signin").hidden = false;
    $("#hc-key").value = "";
    $("#hc-key").focus();
  }

  // MARK: loading

  function loadQueues() {
    return api("GET", "/v1/queues").then(function (answer) {
      state.queues = answer.queues || [];
      renderQueues();
      renderTransferTargets();
    });
  }

  /** Counts change with conversations: read them again shortly after a burst of changes. */
  function queuesChanged() {
    clearTimeout(state.queuesTimer);
    state.queuesTimer = setTimeout(function () { loadQueues().catch(function () {}); }, 250);
  }

  function loadConversations() {
    return Promise.all([
      allPages("/v1/conversations?state=escalated", "conversations"),
      allPages("/v1/conversations?state=open", "conversations")
    ]).then(function (lists) {
      state.conversations = {};
      lists[0].concat(lists[1]).forEach(function (c) { state.conversations[c.id] = c; });
    });
  }

  function loadTemplates() {
    return allPages("/v1/templates?state=approved", "templates", 2).then(function (templates) {
      state.templates = templates;
      var picker = $("#hc-template");
      picker.length = 1;
      templates.forEach(function (template) {
        var option = element("option", "", template.name + (template.locale ? " (" + template.locale + ")" : ""));
        option.value = template.id;
        picker.appendChild(option);
      });
    }).catch(function () { state.templates = []; });
  }

  function select(id) {
    state.selected = id;
    state.messages = [];
    state.contact = null;
    render();
    if (!id) return Promise.resolve();
    return Promise.all([
      api("GET", "/v1/conversations/" + id),
      allPages("/v1/conversations/" + id + "/messages", "messages")
    ]).then(function (answers) {
      if (state.selected !== id) return null;
      var conversation = answers[0];
      if (conversation.state !== "closed") state.conversations[id] = conversation;
      // Messages that came live while the history loaded stay, after it.
      var loaded = answers[1];
      state.messages = loaded.concat(state.messages.filter(function (m) {
        return !loaded.some(function (known) { return known.id === m.id; });
      }));
      render(conversation);
      return conversation.contact ? api("GET", "/v1/contacts/" + conversation.contact.id) : null;
    }).then(function (answer) {
      if (answer && state.selected === id) {
        state.contact = answer.contact;
        renderDetail();
      }
    }).catch(function (error) { status(error.message, true); });
  }

  // MARK: the live stream

  /** Reads GET /v1/agent/events with fetch (an Authorization header), parses the SSE frames, and
   * reconnects with Last-Event-ID when the stream ends or fails. Resolves once the server answered
   * (from then on, no change escapes the stream). */
  function openStream() {
    if (state.stream) state.stream.abort();
    var controller = new AbortController();
    state.stream = controller;
    var connected;
    var answered = new Promise(function (resolve) { connected = resolve; });
    var headers = { Authorization: "Bearer " + state.key, Accept: "text/event-stream" };
    if (state.lastEventId) headers["Last-Event-ID"] = state.lastEventId;
    fetch("/v1/agent/events", { headers: headers, signal: controller.signal, cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) { signOut(); status("Your key stopped working; sign in again.", true); return null; }
        if (!response.ok || !response.body) throw new Error("HTTP " + response.status);
        connected();
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) throw new Error("stream ended");
            buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, "\n");
            var end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              handleFrame(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
            }
            return pump();
          });
        }
        return pump();
      })
      .catch(function () {
        if (controller.signal.aborted || state.stream !== controller) return;
        setTimeout(function () { if (state.stream === controller && state.key) openStream().then(connected); }, 1000);
      });
    return answered;
  }

  function handleFrame(frame) {
    var id = null, type = "message", data = "";
    frame.split("\n").forEach(function (line) {
      if (line.indexOf("id: ") === 0) id = line.slice(4);
      else if (line.indexOf("event: ") === 0) type = line.slice(7);
      else if (line.indexOf("data: ") === 0) data += line.slice(6);
    });
    if (id !== null) state.lastEventId = id;
    if (!data) return;
    var event;
    try { event = JSON.parse(data); } catch (e) { return; }
    if (state.pending) state.pending.push([type, event.conversation_id, event.data]);
    else handleEvent(type, event.conversation_id, event.data);
  }

  function handleEvent(type, conversationId, data) {
    var conversation = state.conversations[conversationId];
    if (type === "conversation") {
      if (data.state === "closed") {
        delete state.conversations[conversationId];
      } else {
        if (conversation) {
          data.last_message = conversation.last_message;
          data.waiting_since = conversation.waiting_since;
        }
        state.conversations[conversationId] = data;
      }
      queuesChanged();
      if (conversationId === state.selected) render(data); else renderList();
      return;
    }
    if (type === "message") {
      if (!conversation) {
        // A conversation we did not list yet (new, or reopened): read it once.
        api("GET", "/v1/conversations/" + conversationId).then(function (fresh) {
          if (fresh.state !== "closed") { state.conversations[conversationId] = fresh; queuesChanged(); renderList(); }
        }).catch(function () {});
      } else {
        conversation.last_message = data;
        if (data.direction === "inbound" && data.author === "visitor") {
          if (!conversation.waiting_since) conversation.waiting_since = data.created_at;
          if (data.intent) conversation.last_intent = data.intent;
        } else if (data.author === "bot" || data.author === "agent") {
          conversation.waiting_since = null;
        }
        renderList();
      }
      if (conversationId === state.selected && !state.messages.some(function (m) { return m.id === data.id; })) {
        state.messages.push(data);
        appendMessage(data);
      }
      return;
    }
    if (type === "message_updated") {
      // The classifier re-routed a message: it shows with its new intent.
      if (conversation && conversation.last_message && conversation.last_message.id === data.id) {
        conversation.last_message = data;
      }
      if (conversationId === state.selected) {
        state.messages = state.messages.map(function (m) { return m.id === data.id ? data : m; });
        renderHistory();
      }
      return;
    }
    if (type === "message_status" && conversationId === state.selected) {
      state.messages.forEach(function (m) { if (m.id === data.id) m.status = data.status; });
      renderHistory();
      return;
    }
    if (type === "handoff" && conversation) {
      conversation.handoff = data;
      if (conversationId === state.selected) renderDetail();
    }
  }

  // MARK: rendering

  function me() { return state.me && state.me.id; }

  function inView(c) {
    if (state.view === "mine") return !!(c.assigned_agent && c.assigned_agent.id === me());
    if (state.view === "unassigned") return !!c.queue && !c.assigned_agent;
    if (state.view.indexOf("queue:") === 0) return c.queue === state.view.slice(6);
    return true;
  }

  function name(c) {
    var contact = c.contact || {};
    return contact.display_name || contact.phone_masked || "Visitor " + c.id.slice(-6);
  }

  function since(iso) {
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min";
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
  }

  /** "SLA 1:05" counting down to the first response due, or "SLA missed". */
  function sla(c) {
    if (!c.first_response_due_at) return c.sla_breached_at ? { text: "SLA missed", late: true } : null;
    var left = Math.round((Date.parse(c.first_response_due_at) - Date.now()) / 1000);
    if (left <= 0) return { text: "SLA missed", late: true };
    var minutes = Math.floor(left / 60), seconds = left % 60;
    return { text: "SLA " + minutes + ":" + (seconds < 10 ? "0" : "") + seconds, late: left < 30 };
  }

  function render(fresh) {
    if (fresh && fresh.id === state.selected && fresh.state !== "closed") state.conversations[fresh.id] = fresh;
    renderQueues();
    renderList();
    renderDetail(fresh);
  }

  function renderQueues() {
    var list = $(".hc-queues ul");
    list.textContent = "";
    var all = Object.keys(state.conversations).map(function (id) { return state.conversations[id]; });
    var views = [
      { view: "all", label: "All open", count: all.length },
      { view: "mine", label: "Mine", count: all.filter(function (c) { return c.assigned_agent && c.assigned_agent.id === me(); }).length },
      { view: "unassigned", label: "Unassigned", count: all.filter(function (c) { return c.queue && !c.assigned_agent; }).length }
    ].concat(state.queues.map(function (q) {
      return {
        view: "queue:" + q.name, label: q.name, count: q.open,
        detail: q.unassigned + " unassigned" + (q.sla_breached ? ", " + q.sla_breached + " past SLA" : "")
      };
    }));
    views.forEach(function (v) {
      var item = element("li");
      var button = element("button");
      button.type = "button";
      button.setAttribute("aria-pressed", String(state.view === v.view));
      button.dataset.view = v.view;
      var label = element("span", "", v.label);
      var count = element("span", "hc-count", String(v.count));
      button.appendChild(label);
      button.appendChild(count);
      button.setAttribute("aria-label", v.label + ": " + v.count + " open" + (v.detail ? ", " + v.detail : ""));
      if (v.detail) button.title = v.detail;
      button.onclick = function () { state.view = v.view; renderQueues(); renderList(); };
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  function renderList() {
    var list = $(".hc-list ul");
    var focusedId = document.activeElement && document.activeElement.dataset && document.activeElement.dataset.conversation;
    list.textContent = "";
    var shown = Object.keys(state.conversations).map(function (id) { return state.conversations[id]; }).filter(inView);
    shown.sort(function (a, b) {
      if (!!a.waiting_since !== !!b.waiting_since) return a.waiting_since ? -1 : 1;
      if (a.waiting_since) return Date.parse(a.waiting_since) - Date.parse(b.waiting_since);
      return Date.parse(b.updated_at) - Date.parse(a.updated_at);
    });
    if (!shown.length) list.appendChild(element("li", "hc-meta", "Nothing here."));
    shown.forEach(function (c) {
      var item = element("li");
      var button = element("button");
      button.type = "button";
      button.dataset.conversation = c.id;
      button.setAttribute("aria-current", String(c.id === state.selected));
      button.appendChild(element("span", "hc-name", name(c)));
      button.appendChild(element("span", "hc-last", c.last_message ? c.last_message.body : "No messages yet"));
      var meta = element("span", "hc-meta");
      if (c.waiting_since) meta.appendChild(element("span", "hc-wait", "waiting " + since(c.waiting_since)));
      if (c.last_intent) meta.appendChild(element("span", "", c.last_intent.name.replace(/_/g, " ")));
      if (c.queue) meta.appendChild(element("span", "", c.queue));
      var clock = sla(c);
      if (clock) meta.appendChild(element("span", "hc-sla" + (clock.late ? " hc-late" : ""), clock.text));
      button.appendChild(meta);
      button.appendChild(element("span", "hc-owner", c.assigned_agent ? "Taken by " + c.assigned_agent.name : c.queue ? "Unassigned" : "With the bot"));
      button.onclick = function () { select(c.id); };
      item.appendChild(button);
      list.appendChild(item);
    });
    if (focusedId) {
      var again = list.querySelector('[data-conversation="' + focusedId + '"]');
      if (again) again.focus();
    }
  }

  function fact(list, label, value) {
    if (value === undefined || value === null || value === "") return;
    list.appendChild(element("dt", "", label));
    list.appendChild(element("dd", "", value));
  }

  function renderDetail() {
    var c = state.selected && state.conversations[state.selected];
    var facts = $(".hc-facts");
    facts.textContent = "";
    var controls = mount.querySelectorAll(".hc-actions button, .hc-actions select, .hc-reply textarea, .hc-reply select, .hc-send");
    Array.prototype.forEach.call(controls, function (control) { control.disabled = !c; });
    if (!c) {
      $("#hc-title").textContent = state.selected ? "This conversation is closed" : "No conversation selected";
      $(".hc-history").textContent = "";
      return;
    }
    $("#hc-title").textContent = name(c);
    var contact = state.contact || c.contact || {};
    fact(facts, "Owner", c.assigned_agent ? c.assigned_agent.name : "nobody");
    fact(facts, "State", c.state + (c.queue ? " in " + c.queue : ""));
    var clock = sla(c);
    if (clock) fact(facts, "First response", clock.text);
    fact(facts, "Escalated because", c.escalation_reason && c.escalation_reason.replace(/_/g, " "));
    fact(facts, "Intent", c.last_intent && c.last_intent.name.replace(/_/g, " ") + " (" + c.last_intent.source + ")");
    fact(facts, "Phone", contact.phone_masked);
    var texts = { active: "the conversation continues by SMS", opted_out: "stopped (the number sent STOP)", none: "web only" };
    fact(facts, "Texts", c.handoff && (texts[c.handoff.state] || c.handoff.state));
    fact(facts, "Customer id", contact.external_id);
    fact(facts, "Locale", [contact.locale, contact.time_zone].filter(Boolean).join(", "));
    fact(facts, "Campaign", c.campaign || c.utm_campaign);
    fact(facts, "Source", [c.utm_source, c.utm_medium].filter(Boolean).join(" / "));
    fact(facts, "Page", c.page_url);
    var mine = c.assigned_agent && c.assigned_agent.id === me();
    $(".hc-assign").disabled = !state.me || mine;
    $(".hc-assign").title = state.me ? "" : "Sign in with an agent key to claim conversations";
    $(".hc-unassign").disabled = !c.assigned_agent;
    $(".hc-handback").disabled = c.state !== "escalated";
    renderHistory();
  }

  function messageNode(m) {
    var node = element("p", "hc-msg " + m.direction);
    node.dataset.message = m.id;
    node.appendChild(document.createTextNode(m.body));
    var who = m.agent ? m.agent.name : m.author;
    var when = new Date(m.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    var details = [who, m.channel === "sms" ? "SMS" : "web", when];
    if (m.channel === "sms" && m.status) details.push(m.status);
    if (m.intent) details.push(m.intent.name.replace(/_/g, " "));
    node.appendChild(element("small", "", details.join(" · ")));
    return node;
  }

  function renderHistory() {
    var history = $(".hc-history");
    history.textContent = "";
    state.messages.forEach(function (m) { history.appendChild(messageNode(m)); });
    history.scrollTop = history.scrollHeight;
  }

  function appendMessage(m) {
    var history = $(".hc-history");
    history.appendChild(messageNode(m));
    history.scrollTop = history.scrollHeight;
  }

  function renderTransferTargets() {
    var select = $("#hc-transfer-to");
    var chosen = select.value;
    select.textContent = "";
    state.queues.forEach(function (q) {
      var option = element("option", "", q.name);
      option.value = q.name;
      select.appendChild(option);
    });
    if (chosen) select.value = chosen;
  }

  // MARK: actions

  function act(path, body, done) {
    var id = state.selected;
    if (!id) return;
    api("POST", "/v1/conversations/" + id + path, body || {}).then(function (answer) {
      if (answer.conversation) {
        var c = answer.conversation;
        var known = state.conversations[id];
        if (known) { c.last_message = known.last_message; c.waiting_since = known.waiting_since; }
        if (c.state === "closed") delete state.conversations[id]; else state.conversations[id] = c;
        render();
      }
      status(done);
    }).catch(function (error) { status(error.message, true); });
  }

  $(".hc-signin").onsubmit = function (event) {
    event.preventDefault();
    signIn($("#hc-key").value.trim());
  };
  $(".hc-signout").onclick = signOut;
  $(".hc-assign").onclick = function () { act("/assign", {}, "Assigned to you."); };
  $(".hc-unassign").onclick = function () { act("/unassign", {}, "Back in the queue."); };
  $(".hc-transfer").onclick = function () { act("/transfer", { queue: $("#hc-transfer-to").value }, "Transferred."); };
  $(".hc-handback").onclick = function () { act("/handback", {}, "Handed back to the bot."); };
  $(".hc-offer").onclick = function () { act("/offer", { reason: "agent" }, "Offered: the widget asks the visitor for a number."); };
  $(".hc-close").onclick = function () { act("/close", { resolution: $("#hc-resolution").value }, "Closed."); };
  RESOLUTIONS.forEach(function (resolution) {
    var option = element("option", "", resolution);
    option.value = resolution;
    $("#hc-resolution").appendChild(option);
  });

  $("#hc-template").onchange = function () {
    var template = state.templates.filter(function (t) { return t.id === $("#hc-template").value; })[0];
    if (!template) return;
    $("#hc-body").value = template.body;
    $("#hc-body").focus();
    preview();
  };

  /** The server's measure of the reply as it would be texted, shortly after typing stops. */
  function preview() {
    clearTimeout(state.previewTimer);
    state.previewTimer = setTimeout(function () {
      var body = $("#hc-body").value;
      var counter = $("#hc-counter");
      if (!body) { counter.textContent = ""; counter.classList.remove("over"); return; }
      api("POST", "/v1/sms/preview", { body: body }).then(function (measure) {
        if ($("#hc-body").value !== body) return;
        var over = measure.max_segments && measure.segments > measure.max_segments;
        counter.textContent = measure.characters + " characters · " + measure.encoding + " · " +
          measure.segments + (measure.segments === 1 ? " segment" : " segments") +
          (over ? " (more than the " + measure.max_segments + " allowed)" : "");
        counter.classList.toggle("over", !!over);
      }).catch(function (error) { counter.textContent = error.message; counter.classList.add("over"); });
    }, 120);
  }
  $("#hc-body").oninput = preview;

  function send() {
    var id = state.selected;
    var body = $("#hc-body").value;
    if (!id || !body.trim()) return;
    var payload = { body: body, client_id: "console-" + Date.now().toString(36) + Math.random().toString(36).slice(2) };
    if (!state.me) payload.author = "agent";
    $(".hc-send").disabled = true;
    api("POST", "/v1/conversations/" + id + "/messages", payload).then(function (answer) {
      $("#hc-body").value = "";
      $("#hc-counter").textContent = "";
      $("#hc-template").value = "";
      if (state.selected === id && !state.messages.some(function (m) { return m.id === answer.message.id; })) {
        state.messages.push(answer.message);
        appendMessage(answer.message);
      }
      status("Sent.");
    }).catch(function (error) { status(error.message, true); })
      .then(function () { $(".hc-send").disabled = !state.selected; });
  }
  $(".hc-reply").onsubmit = function (event) { event.preventDefault(); send(); };
  $("#hc-body").onkeydown = function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); send(); }
  };

  function step(delta) {
    var buttons = Array.prototype.slice.call(mount.querySelectorAll(".hc-list button[data-conversation]"));
    if (!buttons.length) return;
    var index = buttons.findIndex(function (b) { return b.dataset.conversation === state.selected; });
    var next = buttons[Math.min(buttons.length - 1, Math.max(0, index < 0 ? 0 : index + delta))];
    select(next.dataset.conversation).then(function () {
      var again = mount.querySelector('.hc-list [data-conversation="' + next.dataset.conversation + '"]');
      if (again) again.focus();
    });
  }

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || !state.key || event.ctrlKey || event.metaKey) return;
    var actions = {
      KeyJ: function () { step(1); },
      KeyK: function () { step(-1); },
      KeyL: function () {
        var first = mount.querySelector('.hc-list button[aria-current="true"]') || mount.querySelector(".hc-list button");
        if (first) first.focus();
      },
      KeyR: function () { $("#hc-body").focus(); },
      KeyA: function () { if (!$(".hc-assign").disabled) $(".hc-assign").click(); },
      KeyT: function () { if (!$(".hc-transfer").disabled) $(".hc-transfer").click(); },
      KeyH: function () { if (!$(".hc-handback").disabled) $(".hc-handback").click(); },
      KeyC: function () { if (!$(".hc-close").disabled) $(".hc-close").click(); }
    };
    if (actions[event.code]) { event.preventDefault(); actions[event.code](); }
  });

  // Countdowns and waiting times move with the clock; the data does not (it comes live).
  setInterval(function () {
    if (!state.key) return;
    mount.querySelectorAll(".hc-list button[data-conversation]").forEach(function (button) {
      var c = state.conversations[button.dataset.conversation];
      if (!c) return;
      var wait = button.querySelector(".hc-wait");
      if (wait && c.waiting_since) wait.textContent = "waiting " + since(c.waiting_since);
      var clock = sla(c), shown = button.querySelector(".hc-sla");
      if (clock && shown) { shown.textContent = clock.text; shown.classList.toggle("hc-late", clock.late); }
    });
  }, 1000);

  renderDetail();
  var saved = sessionStorage.getItem(STORAGE_KEY);
  if (saved) signIn(saved); else $("#hc-key").placeholder = mount.getAttribute("data-key-hint") || "";
})();
