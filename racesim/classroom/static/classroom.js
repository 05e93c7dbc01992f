// racesim classroom, kernel-free: the race demo's controls over results computed at build time.
// Reads window.RACESIM_CLASSROOM (written by racesim.classroom.page) and fills
// #racesim-classroom with sliders, a strategy picker, the verdict and an SVG timeline.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var MARKS = {
    "write": ["\u25B2", "#1F3F77", "registry write (:latest)"],
    "pull-ok": ["\u25BC", "#2E7D4F", "pull of the meant image"],
    "pull-stale": ["\u25BC", "#C44E52", "stale pull (older image)"],
    "cancel": ["\u2716", "#C44E52", "run cancelled"]
  };

  function el(tag, attrs, text) {
    var node = tag.indexOf("svg:") === 0
      ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function key(state) {
    return [state.strategy, state.build, state.gap, state.sleep].map(String).join("|");
  }

  function draw(svg, scene, colors) {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var left = 170, right = 20, top = 24, lane = 28, width = 860;
    var rows = scene.lanes.length + 1;
    var height = top + rows * lane + 34;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", "100%");
    var end = Math.max(scene.end, 1) * 1.04;
    function x(t) { return left + (width - left - right) * t / end; }
    function y(i) { return top + i * lane; }
    scene.windows.forEach(function (w) {
      svg.appendChild(el("svg:rect", {x: x(w[0]), y: top - 6, width: Math.max(x(w[1]) - x(w[0]), 1),
        height: rows * lane, fill: "#C44E52", "fill-opacity": 0.12, "class": "rc-window"}));
      svg.appendChild(el("svg:text", {x: (x(w[0]) + x(w[1])) / 2, y: top - 10, "font-size": 11,
        fill: "#C44E52", "text-anchor": "middle", "font-weight": "bold"},
        "race window " + Math.round(w[1] - w[0]) + " s"));
    });
    scene.lanes.forEach(function (l, i) {
      svg.appendChild(el("svg:text", {x: left - 6, y: y(i) + 17, "font-size": 12,
        "text-anchor": "end"}, l.name));
      l.bars.forEach(function (b) {
        svg.appendChild(el("svg:rect", {x: x(b[0]), y: y(i) + 6, width: Math.max(x(b[1]) - x(b[0]), 1),
          height: 16, fill: colors[b[2]] || "#999999", "class": "rc-bar", "data-step": b[2]}));
      });
      l.marks.forEach(function (m) {
        var mark = MARKS[m[1]];
        svg.appendChild(el("svg:text", {x: x(m[0]), y: y(i) + 8, "font-size": 12, fill: mark[1],
          "text-anchor": "middle", "class": "rc-mark rc-" + m[1]}, mark[0]));
        svg.appendChild(el("svg:text", {x: x(m[0]) + 6, y: y(i) + 4, "font-size": 10, fill: mark[1]},
          m[2]));
      });
    });
    var s = scene.lanes.length;
    svg.appendChild(el("svg:text", {x: left - 6, y: y(s) + 17, "font-size": 12, "text-anchor": "end"},
      "service"));
    scene.service.forEach(function (seg) {
      svg.appendChild(el("svg:rect", {x: x(seg[0]), y: y(s) + 6, width: Math.max(x(seg[1]) - x(seg[0]), 1),
        height: 16, fill: seg[3] ? "#D3ECD9" : "#F2D0D1", stroke: "#888888", "stroke-width": 0.5,
        "class": "rc-service"}));
      if (x(seg[1]) - x(seg[0]) > 12) {
        svg.appendChild(el("svg:text", {x: (x(seg[0]) + x(seg[1])) / 2, y: y(s) + 18, "font-size": 11,
          "text-anchor": "middle"}, seg[2]));
      }
    });
    scene.pushes.forEach(function (p) {
      svg.appendChild(el("svg:line", {x1: x(p[0]), x2: x(p[0]), y1: top - 6, y2: y(rows),
        stroke: "#555555", "stroke-dasharray": "2,3"}));
      svg.appendChild(el("svg:text", {x: x(p[0]) + 3, y: y(rows) + 12, "font-size": 10,
        fill: "#555555"}, "push " + p[1]));
    });
    var axis = y(rows) + 28;
    var step = end > 400 ? 100 : end > 150 ? 50 : 20;
    for (var t = 0; t <= end; t += step) {
      svg.appendChild(el("svg:text", {x: x(t), y: axis, "font-size": 10, "text-anchor": "middle",
        fill: "#555555"}, t + " s"));
    }
  }

  function legend(box, scene, colors) {
    box.textContent = "";
    var used = {}, marks = {};
    scene.lanes.forEach(function (l) {
      l.bars.forEach(function (b) { used[b[2]] = true; });
      l.marks.forEach(function (m) { marks[m[1]] = true; });
    });
    function item(swatch, text) {
      var span = el("span", {"class": "rc-legend-item", style: "margin-right:1em;white-space:nowrap"});
      span.appendChild(swatch); span.appendChild(document.createTextNode(" " + text));
      box.appendChild(span);
    }
    Object.keys(colors).forEach(function (step) {
      if (used[step]) {
        item(el("span", {style: "display:inline-block;width:1em;height:0.8em;background:" + colors[step]}), step);
      }
    });
    Object.keys(MARKS).forEach(function (m) {
      if (marks[m]) { item(el("span", {style: "color:" + MARKS[m][1]}, MARKS[m][0]), MARKS[m][2]); }
    });
    if (scene.service.some(function (seg) { return seg[3]; })) {
      item(el("span", {style: "display:inline-block;width:1em;height:0.8em;background:#D3ECD9"}),
        "service runs the newest image");
    }
    if (scene.service.some(function (seg) { return !seg[3]; })) {
      item(el("span", {style: "display:inline-block;width:1em;height:0.8em;background:#F2D0D1"}),
        "service behind the newest image");
    }
    if (scene.windows.length) {
      item(el("span", {style: "display:inline-block;width:1em;height:0.8em;background:#C44E5233"}),
        "race window");
    }
  }

  function start(root, data) {
    root.textContent = "";
    var state = {strategy: data.start.strategy, build: data.start.build, gap: data.start.gap,
      sleep: data.start.sleep};
    var controls = el("div", {"class": "rc-controls"});
    var inputs = {};
    ["build", "gap", "sleep"].forEach(function (name) {
      var values = data.grid[name];
      var label = el("label", {style: "display:inline-block;margin:0 1.5em 0.5em 0"});
      label.appendChild(document.createTextNode(data.labels[name] + " "));
      var input = el("input", {type: "range", min: 0, max: values.length - 1, step: 1,
        value: values.indexOf(state[name]), "data-control": name, "aria-label": data.labels[name]});
      var out = el("output", {"data-value": name}, String(state[name]));
      input.addEventListener("input", function () {
        state[name] = values[Number(input.value)]; out.textContent = String(state[name]); update();
      });
      label.appendChild(input); label.appendChild(out);
      controls.appendChild(label); inputs[name] = [input, out];
    });
    var pick = el("select", {"data-control": "strategy", "aria-label": "strategy"});
    data.strategies.forEach(function (s) {
      var o = el("option", {value: s}, s); if (s === state.strategy) { o.selected = true; }
      pick.appendChild(o);
    });
    pick.addEventListener("change", function () {
      state.strategy = pick.value;
      // like the notebook widget: a preset brings its own sleep (sleep:60 sleeps 60 s)
      var own = data.presetSleep[pick.value], i = data.grid.sleep.indexOf(own);
      if (i >= 0) { state.sleep = own; inputs.sleep[0].value = i; inputs.sleep[1].textContent = String(own); }
      update();
    });
    var pl = el("label", {}); pl.appendChild(document.createTextNode("strategy ")); pl.appendChild(pick);
    controls.appendChild(pl);
    root.appendChild(controls);
    var verdict = el("p", {"class": "rc-verdict"});
    var numbers = el("p", {"class": "rc-numbers"});
    var svg = el("svg:svg", {"class": "rc-timeline", role: "img"});
    var key_ = el("p", {"class": "rc-legend", style: "font-size:0.8em"});
    [verdict, numbers, svg, key_].forEach(function (n) { root.appendChild(n); });

    function update() {
      var scene = data.scenes[key(state)];
      root.setAttribute("data-scene", key(state));
      verdict.textContent = "";
      verdict.appendChild(el("b", {}, state.strategy + (state.sleep !== data.presetSleep[state.strategy]
        ? " + sleep " + state.sleep + " s" : "")));
      verdict.appendChild(document.createTextNode(": " + scene.verdict));
      numbers.textContent = "A pushed at 0 s (build " + state.build + " s), B at " + state.gap +
        " s (build " + data.secondBuild + " s) \u2022 stale deploys: " + scene.stale +
        " \u2022 production ends on: " + scene.ends_on;
      numbers.setAttribute("data-stale", scene.stale);
      numbers.setAttribute("data-ends-on", scene.ends_on);
      draw(svg, scene, data.colors);
      legend(key_, scene, data.colors);
    }
    update();
  }

  function boot() {
    var root = document.getElementById("racesim-classroom");
    if (root && window.RACESIM_CLASSROOM) { start(root, window.RACESIM_CLASSROOM); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", boot); }
  else { boot(); }
  // MkDocs Material's instant navigation swaps pages without a reload
  if (window.document$ && window.document$.subscribe) { window.document$.subscribe(boot); }
})();
