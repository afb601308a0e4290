/* Handoff reports page (/reports): the funnel of GET /v1/reports/funnel drawn as SVG by this
 * script alone (no dependencies). Signs in with an API key kept in sessionStorage; the range is
 * a pair of UTC days (the last one included), kept in the page's URL (?from=YYYY-MM-DD&to=...).
 * Every number shown carries data-column (points also data-key, templates data-id) so a test can
 * compare it with the API; templates are shown by name (locale), their ids in data-id and title. */
(function () {
  "use strict";
  var KEY = "handoff.reports.api_key";
  var SVG = "http://www.w3.org/2000/svg";
  var DAY = 86400000;
  var $ = function (id) { return document.getElementById(id); };

  // The funnel's stages, in order, each a count of conversations.
  var STAGES = [
    ["conversations", "Conversations"], ["handoffs_offered", "Handoffs offered"],
    ["handoffs_verified", "Handoffs verified"], ["verified_within_90s", "Verified within 90 s"],
    ["sent", "Texted"], ["delivered", "Delivered"], ["replied", "Replied"], ["escalated", "Escalated"],
    ["resolved", "Resolved"], ["converted", "Converted"], ["opt_outs", "Opted out"]
  ];
  var VOLUMES = [
    ["conversations", "Conversations", "#1f4fd1", ""], ["handoffs_verified", "Handoffs verified", "#2e7d32", "6 3"],
    ["replied", "Replied", "#b45309", "2 3"], ["converted", "Converted", "#7b1fa2", "10 3 2 3"]
  ];
  var RESPONSES = [
    ["first_response_ms_p50", "p50", "#1f4fd1", ""], ["first_response_ms_p90", "p90", "#b00020", "6 3"]
  ];
  var TABLE_COLUMNS = [
    ["conversations", "Conversations"], ["handoffs_verified", "Verified"], ["sent", "Texted"],
    ["replied", "Replied"], ["answered_within_60s", "Answered ≤ 60 s"], ["first_response_ms_p50", "p50 (s)"],
    ["first_response_ms_p90", "p90 (s)"], ["converted", "Converted"], ["revenue_cents", "Revenue"],
    ["opt_outs", "Opted out"]
  ];

  function element(name, attributes, text) {
    var node = name.indexOf("svg:") === 0 ? document.createElementNS(SVG, name.slice(4)) : document.createElement(name);
    Object.keys(attributes || {}).forEach(function (key) {
      if (attributes[key] !== null && attributes[key] !== undefined) { node.setAttribute(key, attributes[key]); }
    });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // How each kind of value is shown (the Chromium test formats the API's numbers the same way).
  var format = {
    count: function (value) { return value === null || value === undefined ? "–" : String(value); },
    seconds: function (ms) { return ms === null || ms === undefined ? "–" : (ms / 1000).toFixed(1); },
    money: function (cents) { return (cents / 100).toFixed(2); },
    percent: function (share) { return share === null || share === undefined ? "–" : (share * 100).toFixed(1) + "%"; },
    pValue: function (p) { return p === null || p === undefined ? "–" : p < 0.001 ? "<0.001" : p.toFixed(3); }
  };

  function cell(column, value) {
    if (column === "revenue_cents") { return format.money(value); }
    if (column.indexOf("first_response_ms") === 0) { return format.seconds(value); }
    return format.count(value);
  }

  // --- the range -------------------------------------------------------------------------------

  function day(date) { return new Date(date).toISOString().slice(0, 10); }

  function initialRange() {
    var query = new URLSearchParams(location.search);
    var valid = /^\d{4}-\d{2}-\d{2}$/;
    var to = valid.test(query.get("to") || "") ? query.get("to") : day(Date.now());
    var from = valid.test(query.get("from") || "") ? query.get("from") : day(Date.parse(to) - 29 * DAY);
    return { from: from, to: to };
  }

  // The API's half-open range: from the first day's start to the day after the last.
  function apiRange(range) {
    return "from=" + range.from + "T00:00:00Z&to=" + day(Date.parse(range.to) + DAY) + "T00:00:00Z";
  }

  function daysOf(range) {
    var days = [];
    for (var t = Date.parse(range.from); t <= Date.parse(range.to) && days.length <= 366; t += DAY) { days.push(day(t)); }
    return days;
  }

  // --- the API ---------------------------------------------------------------------------------

  function request(path) {
    return fetch(path, { headers: { Authorization: "Bearer " + sessionStorage.getItem(KEY) } }).then(function (response) {
      if (response.status === 401) { signOut("That key was refused: sign in again."); throw new Error("refused"); }
      if (!response.ok) {
        return response.json().then(function (body) {
          throw new Error((body && body.error && body.error.message) || "The report failed (" + response.status + ").");
        });
      }
      return response;
    });
  }

  // Template ids to "name (locale)", every page of GET /v1/templates (archived ones included).
  function templateNames() {
    var names = {};
    function page(after, count) {
      return request("/v1/templates?limit=200" + (after ? "&after=" + encodeURIComponent(after) : ""))
        .then(function (response) { return response.json(); })
        .then(function (body) {
          body.templates.forEach(function (t) { names[t.id] = t.name + " (" + t.locale + ")"; });
          return body.next_after && count < 50 ? page(body.next_after, count + 1) : names;
        });
    }
    return page(null, 0);
  }

  function templateLabel(id, names) {
    return id === null ? null : names[id] || id;
  }

  function report(by, range) {
    return request("/v1/reports/funnel?" + apiRange(range) + "&by=" + by)
      .then(function (response) { return response.json(); })
      .then(function (body) { return body.rows; });
  }

  // --- charts ----------------------------------------------------------------------------------

  function funnelChart(totals) {
    var width = 1160, rowHeight = 26, left = 180, right = 70;
    var height = STAGES.length * rowHeight + 8;
    var max = Math.max(1, totals.conversations);
    var svg = element("svg:svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-labelledby": "funnel-title funnel-desc" });
    svg.appendChild(element("svg:desc", { id: "funnel-desc" },
      STAGES.map(function (stage) { return stage[1] + ": " + totals[stage[0]]; }).join(", ")));
    STAGES.forEach(function (stage, index) {
      var y = 4 + index * rowHeight;
      var value = totals[stage[0]];
      var barWidth = Math.max(value > 0 ? 2 : 0, (width - left - right) * value / max);
      svg.appendChild(element("svg:text", { x: left - 8, y: y + 16, "text-anchor": "end" }, stage[1]));
      var bar = element("svg:rect", { x: left, y: y + 2, width: barWidth, height: rowHeight - 8, rx: 3, fill: "#1f4fd1", class: "bar", "data-column": stage[0] });
      bar.appendChild(element("svg:title", {}, stage[1] + ": " + value));
      svg.appendChild(bar);
      svg.appendChild(element("svg:text", { x: left + barWidth + 6, y: y + 16, class: "value", "data-column": stage[0] }, format.count(value)));
    });
    return svg;
  }

  // A line per series over every day of the range; a count is 0 on a day without conversations,
  // a time is missing (a gap) on a day without an answered message.
  function lineChart(id, series, days, rowsByDay, unit) {
    var width = 560, height = 240, left = 46, right = 20, top = 10, bottom = 28;
    var values = function (column) {
      return days.map(function (d) {
        var row = rowsByDay[d];
        if (unit === "seconds") { return row && row[column] !== null ? row[column] / 1000 : null; }
        return row ? row[column] : 0;
      });
    };
    var all = [];
    series.forEach(function (s) { values(s[0]).forEach(function (v) { if (v !== null) { all.push(v); } }); });
    var max = niceMax(Math.max.apply(null, all.concat([unit === "seconds" ? 1 : 4])));
    if (unit === "count") { max = Math.ceil(max / 4) * 4; }  // whole numbers on every tick
    var x = function (index) { return left + (days.length === 1 ? (width - left - right) / 2 : index * (width - left - right) / (days.length - 1)); };
    var y = function (value) { return top + (height - top - bottom) * (1 - value / max); };
    var svg = element("svg:svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-labelledby": id + "-title " + id + "-desc", id: id + "-svg" });
    svg.appendChild(element("svg:desc", { id: id + "-desc" }, series.map(function (s) { return s[1]; }).join(", ") + " per day from " + days[0] + " to " + days[days.length - 1] + "."));
    for (var tick = 0; tick <= 4; tick++) {
      var value = max * tick / 4;
      svg.appendChild(element("svg:line", { x1: left, x2: width - right, y1: y(value), y2: y(value), stroke: "#e3e6ec" }));
      svg.appendChild(element("svg:text", { x: left - 6, y: y(value) + 4, "text-anchor": "end" }, String(+value.toFixed(2))));
    }
    var step = Math.max(1, Math.ceil(days.length / 6));
    days.forEach(function (d, index) {
      var last = days.length - 1;
      // Every step-th day and the last one (not one too close before it).
      if (index === last || (index % step === 0 && last - index >= step / 2)) {
        var anchor = last === 0 ? "middle" : index === last ? "end" : index === 0 ? "start" : "middle";
        svg.appendChild(element("svg:text", { x: x(index), y: height - 8, "text-anchor": anchor }, d.slice(5)));
      }
    });
    series.forEach(function (s) {
      var points = values(s[0]);
      var path = "";
      points.forEach(function (v, index) {
        if (v === null) { return; }
        path += (index === 0 || points[index - 1] === null ? "M" : "L") + x(index).toFixed(1) + " " + y(v).toFixed(1) + " ";
      });
      svg.appendChild(element("svg:path", { d: path, fill: "none", stroke: s[2], "stroke-width": 2, "stroke-dasharray": s[3] }));
      points.forEach(function (v, index) {
        if (v === null) { return; }
        var point = element("svg:circle", { cx: x(index), cy: y(v), r: 3, fill: s[2], class: "point", "data-column": s[0], "data-key": days[index], "data-value": String(v) });
        point.appendChild(element("svg:title", {}, days[index] + " " + s[1] + ": " + (unit === "seconds" ? format.seconds(v * 1000) + " s" : v)));
        svg.appendChild(point);
      });
    });
    if (all.length === 0) {
      svg.appendChild(element("svg:text", { x: (left + width - right) / 2, y: (top + height - bottom) / 2, "text-anchor": "middle" },
        "Nothing to show in this range."));
    }
    var figure = element("div");
    figure.appendChild(svg);
    var legend = element("ul", { class: "legend" });
    series.forEach(function (s) {
      var item = element("li");
      item.appendChild(element("span", { class: "swatch", style: "background:" + s[2], "aria-hidden": "true" }));
      item.appendChild(document.createTextNode(s[1]));
      legend.appendChild(item);
    });
    figure.appendChild(legend);
    return figure;
  }

  function niceMax(value) {
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) { if (steps[i] * power >= value) { return steps[i] * power; } }
    return 10 * power;
  }

  // --- tables ----------------------------------------------------------------------------------

  function table(caption, head, rows) {
    var node = element("table");
    node.appendChild(element("caption", { class: "visually-hidden" }, caption));
    var headRow = element("tr");
    head.forEach(function (h) { headRow.appendChild(element("th", { scope: "col", class: h[1] ? "text" : "" }, h[0])); });
    node.appendChild(element("thead")).appendChild(headRow);
    var body = node.appendChild(element("tbody"));
    if (rows.length === 0) {
      var empty = body.appendChild(element("tr"));
      empty.appendChild(element("td", { colspan: head.length, class: "text" }, "No conversations in this range."));
    }
    rows.forEach(function (cells) {
      var tr = body.appendChild(element("tr"));
      cells.forEach(function (c, index) {
        tr.appendChild(element(index === 0 ? "th" : "td",
          { scope: index === 0 ? "row" : null, "data-column": c[0], class: c[2] ? "text" : null, "data-id": c[3], title: c[3] }, c[1]));
      });
    });
    return node;
  }

  function templateTable(rows, names) {
    var head = [["Template", true]].concat(TABLE_COLUMNS.map(function (c) { return [c[1]]; }));
    return table("By template", head, rows.map(function (row) {
      return [["key", row.key === null ? "(no template)" : templateLabel(row.key, names), true, row.key]].concat(
        TABLE_COLUMNS.map(function (c) { return [c[0], cell(c[0], row[c[0]])]; }));
    }));
  }

  // Every day of the range with the lines' numbers (0 on a day without conversations).
  function dayTable(days, rowsByDay) {
    var series = VOLUMES.concat(RESPONSES);
    var head = [["Day", true]].concat(series.map(function (s) { return [s[0].indexOf("first_response") === 0 ? "First response " + s[1] + " (s)" : s[1]]; }));
    return table("Daily numbers", head, days.map(function (d) {
      var row = rowsByDay[d];
      return [["key", d, true]].concat(series.map(function (s) {
        return [s[0], row ? cell(s[0], row[s[0]]) : s[0].indexOf("first_response") === 0 ? "–" : "0"];
      }));
    }));
  }

  function variantTable(rows, names) {
    var head = [["Variant", true], ["Template", true], ["Conversations"], ["Converted"], ["Conversion"],
      ["95% interval"], ["p-value"], ["Revenue"]];
    return table("By variant", head, rows.map(function (row) {
      var share = row.conversations > 0 ? row.converted / row.conversations : null;
      return [
        ["key", row.key === null ? "(no variant)" : row.key, true],
        ["template_id", row.template_id === null ? "–" : templateLabel(row.template_id, names), true, row.template_id],
        ["conversations", format.count(row.conversations)], ["converted", format.count(row.converted)],
        ["conversion", format.percent(share)],
        ["interval", format.percent(row.conversion_low) + " – " + format.percent(row.conversion_high)],
        ["p_value", format.pValue(row.p_value)], ["revenue_cents", format.money(row.revenue_cents)]
      ];
    }));
  }

  // --- the page --------------------------------------------------------------------------------

  function totalsOf(dayRows) {
    var totals = { revenue_cents: 0, answered_within_60s: 0 };
    STAGES.forEach(function (stage) { totals[stage[0]] = 0; });
    dayRows.forEach(function (row) {
      Object.keys(totals).forEach(function (column) { totals[column] += row[column]; });
    });
    return totals;
  }

  function figures(totals) {
    var list = $("figures");
    list.textContent = "";
    [["conversations", "Conversations", format.count(totals.conversations)],
      ["answered_within_60s", "Customer messages answered within 60 s", format.count(totals.answered_within_60s)],
      ["revenue_cents", "Revenue", format.money(totals.revenue_cents)]].forEach(function (f) {
      var item = list.appendChild(element("div"));
      item.appendChild(element("dt", {}, f[1]));
      item.appendChild(element("dd", { "data-column": f[0] }, f[2]));
    });
  }

  function show(range) {
    var status = $("status");
    status.className = "status";
    status.textContent = "Loading…";
    history.replaceState(null, "", "?from=" + range.from + "&to=" + range.to);
    document.querySelectorAll("a.csv").forEach(function (link) {
      link.href = "/v1/reports/funnel.csv?" + apiRange(range) + "&by=" + link.getAttribute("data-by");
    });
    return Promise.all([report("day", range), report("template", range), report("variant", range), templateNames()]).then(function (results) {
      var rowsByDay = {};
      results[0].forEach(function (row) { rowsByDay[row.key] = row; });
      var totals = totalsOf(results[0]);
      figures(totals);
      replace("funnel-chart", funnelChart(totals));
      var days = daysOf(range);
      replace("volumes-chart", lineChart("volumes", VOLUMES, days, rowsByDay, "count"));
      replace("responses-chart", lineChart("responses", RESPONSES, days, rowsByDay, "seconds"));
      replace("days-table", dayTable(days, rowsByDay));
      replace("templates-table", templateTable(results[1], results[3]));
      replace("variants-table", variantTable(results[2], results[3]));
      status.textContent = "Showing " + range.from + " to " + range.to + " (UTC): " + totals.conversations + " conversations.";
      document.body.setAttribute("data-loaded", range.from + "/" + range.to);
    }).catch(function (error) {
      if (error.message === "refused") { return; }
      status.className = "status error";
      status.textContent = error.message;
    });
  }

  function replace(id, node) {
    var container = $(id);
    container.textContent = "";
    container.appendChild(node);
  }

  // The CSV needs the key, which a plain link cannot send: fetch it and save what came back.
  function downloadCSV(event) {
    event.preventDefault();
    var link = event.currentTarget;
    request(link.getAttribute("href")).then(function (response) { return response.blob(); }).then(function (blob) {
      var save = element("a", { href: URL.createObjectURL(blob), download: "funnel-" + link.getAttribute("data-by") + ".csv" });
      document.body.appendChild(save);
      save.click();
      save.remove();
    }).catch(function (error) {
      if (error.message !== "refused") { $("status").className = "status error"; $("status").textContent = error.message; }
    });
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    $("report").hidden = true;
    $("sign-out").hidden = true;
    $("sign-in").hidden = false;
    var note = $("sign-in").querySelector("p");
    note.textContent = message || "The key stays in this tab only (session storage).";
    note.setAttribute("role", message ? "alert" : "note");
    $("api-key").focus();
  }

  function signedIn() {
    $("sign-in").hidden = true;
    $("report").hidden = false;
    $("sign-out").hidden = false;
    var range = initialRange();
    $("from").value = range.from;
    $("to").value = range.to;
    show(range);
  }

  $("sign-in-form").addEventListener("submit", function (event) {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("api-key").value.trim());
    $("api-key").value = "";
    signedIn();
  });
  $("sign-out").addEventListener("click", function () { signOut(); });
  $("range-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var range = { from: $("from").value, to: $("to").value };
    if (!range.from || !range.to || range.to < range.from) {
      $("status").className = "status error";
      $("status").textContent = "Choose a first day on or before the last day.";
      return;
    }
    show(range);
  });
  document.querySelectorAll("a.csv").forEach(function (link) { link.addEventListener("click", downloadCSV); });

  if (sessionStorage.getItem(KEY)) { signedIn(); } else { signOut(); }
})();
