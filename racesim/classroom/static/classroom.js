// racesim classroom, kernel-free: the lesson, the controls and the pictures over results
// computed when the page was built. Reads window.RACESIM_CLASSROOM (written by
// racesim.classroom.page) and fills #racesim-classroom with the lesson (question, choices,
// reveal), the controls, the verdict, an SVG timeline and SVG bars of the measured stale-deploy
// rates. Projector mode (button, or #projector / ?projector in the address) uses large type.
// ArrowRight/PageDown and ArrowLeft/PageUp step the lesson (a presenter's clicker sends those).
//
// Every SVG is drawn at its real pixel width (1 unit = 1 CSS px), so font sizes are what they
// say, and text labels are packed into rows so that no two of them overlap.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var MARKS = {
    "write": ["\u25B2", "#1F3F77", "registry write (:latest)"],
    "pull-ok": ["\u25BC", "#1E6B3F", "pull of the meant image"],
    "pull-stale": ["\u25BC", "#B0282E", "stale pull (older image)"],
    "cancel": ["\u2716", "#B0282E", "run cancelled"]
  };
  var RATE_COLORS = ["#3B5B92", "#B0282E"];
  var CSS = [
    ".racesim-classroom{line-height:1.4}",
    ".racesim-classroom button{font:inherit;cursor:pointer;padding:.2em .7em;margin:0 .4em .4em 0;",
    "border:2px solid #333;border-radius:4px;background:#f4f4f4;color:#000}",
    ".racesim-classroom button[aria-pressed=true]{background:#1F3F77;color:#fff}",
    ".racesim-classroom button:disabled{opacity:.4;cursor:default}",
    ".racesim-classroom .rc-toolbar{display:flex;flex-wrap:wrap;align-items:center;gap:.3em}",
    ".racesim-classroom .rc-step-count{font-weight:bold;margin:0 .6em .4em 0}",
    ".racesim-classroom .rc-lesson{border-left:4px solid #1F3F77;padding:.2em .8em;margin:.5em 0}",
    ".racesim-classroom .rc-step-title{font-size:1.25em;font-weight:bold;margin:.2em 0}",
    ".racesim-classroom .rc-question{font-weight:bold}",
    ".racesim-classroom .rc-answer.rc-right{color:#1E6B3F;font-weight:bold}",
    ".racesim-classroom .rc-answer.rc-wrong{color:#B0282E;font-weight:bold}",
    ".racesim-classroom .rc-controls label{display:inline-block;margin:0 1.5em .5em 0}",
    ".racesim-classroom .rc-controls select{font:inherit}",
    ".racesim-classroom .rc-hidden{display:none}",
    ".racesim-classroom svg{display:block;overflow:visible}",
    ".racesim-classroom .rc-legend{font-size:.8em}",
    ".racesim-classroom .rc-bars-caption{font-size:.8em;margin-top:1em}",
    ".racesim-classroom.rc-projector{position:fixed;inset:0;z-index:10000;overflow:auto;",
    "background:#fff;color:#000;font-size:24px;padding:16px 24px;margin:0;",
    "font-family:'DejaVu Sans',Verdana,Arial,sans-serif}",
    ".racesim-classroom.rc-projector .rc-legend,.racesim-classroom.rc-projector .rc-bars-caption",
    "{font-size:20px}",
    ".racesim-classroom.rc-projector input[type=range]{width:12em}"
  ].join("");

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

  function pct(p) { return Math.round(p * 100) + "%"; }

  // -- label packing: each label goes in the first row where it overlaps no other ------------

  function Rows(pad) { this.rows = []; this.pad = pad; }
  Rows.prototype.place = function (a, b) {
    for (var r = 0; ; r++) {
      if (r === this.rows.length) { this.rows.push([]); }
      var row = this.rows[r], pad = this.pad;
      var free = row.every(function (iv) { return b + pad <= iv[0] || a >= iv[1] + pad; });
      if (free) { row.push([a, b]); return r; }
    }
  };

  // -- the timeline ---------------------------------------------------------------------------

  function Timeline(svg, fs) {
    this.svg = svg; this.fs = fs; this.lh = Math.ceil(fs * 1.45);
  }
  Timeline.prototype.text = function (x, rowTop, str, attrs) {
    var a = {x: x, y: rowTop + Math.round(this.fs * 1.05), "font-size": this.fs, "class": "rc-label"};
    Object.keys(attrs || {}).forEach(function (k) { a[k] = attrs[k]; });
    var t = el("svg:text", a, str);
    this.svg.appendChild(t);
    return t;
  };
  var widths = {};  // measured text widths by size, weight and text: the same labels recur
  Timeline.prototype.width = function (str, bold) {
    var k = this.fs + (bold ? "b" : "n") + str;
    if (!(k in widths)) {
      var t = el("svg:text", {x: 0, y: 0, "font-size": this.fs, "font-weight": bold ? "bold" : "normal"}, str);
      this.svg.appendChild(t);
      widths[k] = t.getComputedTextLength();
      this.svg.removeChild(t);
    }
    return widths[k];
  };

  function triangle(svg, cx, baseY, size, up, color, cls) {
    var h = size, w = size * 0.6;
    var pts = up
      ? [[cx - w, baseY], [cx + w, baseY], [cx, baseY - h]]
      : [[cx - w, baseY - h], [cx + w, baseY - h], [cx, baseY]];
    svg.appendChild(el("svg:polygon", {points: pts.map(function (p) { return p.join(","); }).join(" "),
      fill: color, "class": cls}));
  }

  function cross(svg, cx, cy, size, color, cls) {
    var g = el("svg:g", {stroke: color, "stroke-width": 3, "class": cls});
    g.appendChild(el("svg:line", {x1: cx - size / 2, y1: cy - size / 2, x2: cx + size / 2, y2: cy + size / 2}));
    g.appendChild(el("svg:line", {x1: cx - size / 2, y1: cy + size / 2, x2: cx + size / 2, y2: cy - size / 2}));
    svg.appendChild(g);
  }

  function draw(svg, scene, colors, width, fs) {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var T = new Timeline(svg, fs), lh = T.lh, pad = Math.round(fs * 0.5);
    var names = scene.lanes.map(function (l) { return l.name; }).concat(["service"]);
    var left = Math.ceil(Math.max.apply(null, names.map(function (n) { return T.width(n); }))) + 2 * pad;
    var right = pad, barH = Math.round(fs * 1.1), glyph = Math.round(fs * 0.7);
    var end = Math.max(scene.end, 1) * 1.04;
    function x(t) { return left + (width - left - right) * t / end; }
    function span(x0, w, anchorRight) {
      // a label of width w starting at x0 (or ending there), kept inside the plot
      var a = anchorRight ? x0 - w : x0;
      a = Math.max(left, Math.min(a, width - right - w));
      return [a, a + w];
    }
    var y = 0;

    // race windows: shaded bands; their labels packed in rows at the top
    var top = new Rows(pad), windowLabels = [];
    scene.windows.forEach(function (w) {
      var text = "race window " + Math.round(w[1] - w[0]) + " s", tw = T.width(text, true);
      var s = span((x(w[0]) + x(w[1])) / 2 - tw / 2, tw, false);
      windowLabels.push([s[0], top.place(s[0], s[1]), text]);
    });
    windowLabels.forEach(function (l) {
      T.text(l[0], y + l[1] * lh, l[2], {fill: "#B0282E", "font-weight": "bold", "class": "rc-label rc-window-label"});
    });
    y += top.rows.length * lh + (top.rows.length ? pad / 2 : 0);
    var plotTop = y;

    // one lane per workflow run: mark labels packed in rows above the bar row
    var laneRows = [];
    scene.lanes.forEach(function (l) {
      var rows = new Rows(pad), placed = [];
      l.marks.forEach(function (m) {
        var tw = T.width(m[2]), cx = x(m[0]);
        var s = span(cx + glyph, tw, cx + glyph + tw > width - right);
        if (s[0] < cx + glyph && s[1] > cx - glyph) { s = span(cx - glyph, tw, true); }
        placed.push([s[0], rows.place(s[0], s[1]), m]);
      });
      laneRows.push([l, rows.rows.length, placed]);
    });
    var services = [];
    laneRows.forEach(function (lr) {
      var l = lr[0], nrows = lr[1], laneTop = y, barY = y + nrows * lh + glyph + 2;
      lr[2].forEach(function (p) {
        var m = p[2], mark = MARKS[m[1]];
        T.text(p[0], laneTop + p[1] * lh, m[2], {fill: mark[1], "class": "rc-label rc-mark-label"});
      });
      T.text(left - pad, barY + (barH - lh) / 2, l.name, {"text-anchor": "end", "class": "rc-label rc-lane-label"});
      l.bars.forEach(function (b) {
        svg.appendChild(el("svg:rect", {x: x(b[0]), y: barY, width: Math.max(x(b[1]) - x(b[0]), 1),
          height: barH, fill: colors[b[2]] || "#999999", "class": "rc-bar", "data-step": b[2]}));
      });
      l.marks.forEach(function (m) {
        var mark = MARKS[m[1]], cx = x(m[0]), cls = "rc-mark rc-" + m[1];
        if (m[1] === "cancel") { cross(svg, cx, barY - glyph / 2 - 1, glyph, mark[1], cls); }
        else { triangle(svg, cx, barY - 1, glyph, m[1] === "write", mark[1], cls); }
      });
      y = barY + barH + pad;
      services.push(laneTop);
    });

    // the service lane: what production runs, labelled where a piece is wide enough
    var serviceY = y + pad;
    T.text(left - pad, serviceY + (barH - lh) / 2, "service", {"text-anchor": "end", "class": "rc-label rc-lane-label"});
    scene.service.forEach(function (seg) {
      var x0 = x(seg[0]), x1 = x(seg[1]);
      svg.appendChild(el("svg:rect", {x: x0, y: serviceY, width: Math.max(x1 - x0, 1), height: barH,
        fill: seg[3] ? "#CDEBD5" : "#F4C7C9", stroke: "#555555", "stroke-width": 0.5, "class": "rc-service"}));
      var tw = T.width(seg[2]);
      if (x1 - x0 >= tw + pad) {
        T.text((x0 + x1) / 2, serviceY + (barH - lh) / 2, seg[2], {"text-anchor": "middle", "class": "rc-label rc-service-label"});
      }
    });
    y = serviceY + barH + pad;
    var plotBottom = y;

    // race window bands and push lines, behind nothing that matters
    scene.windows.forEach(function (w) {
      svg.insertBefore(el("svg:rect", {x: x(w[0]), y: plotTop, width: Math.max(x(w[1]) - x(w[0]), 1),
        height: plotBottom - plotTop, fill: "#C44E52", "fill-opacity": 0.13, "class": "rc-window"}), svg.firstChild);
    });
    var pushes = new Rows(pad), pushLabels = [];
    scene.pushes.forEach(function (p) {
      svg.appendChild(el("svg:line", {x1: x(p[0]), x2: x(p[0]), y1: plotTop, y2: plotBottom,
        stroke: "#333333", "stroke-dasharray": "3,4", "class": "rc-push"}));
      var text = "push " + p[1], tw = T.width(text), s = span(x(p[0]) + 3, tw, false);
      pushLabels.push([s[0], pushes.place(s[0], s[1]), text]);
    });
    pushLabels.forEach(function (l) {
      T.text(l[0], y + l[1] * lh, l[2], {fill: "#333333", "class": "rc-label rc-push-label"});
    });
    y += pushes.rows.length * lh + pad;

    // the time axis: a tick step whose labels fit side by side
    var widest = T.width(Math.round(end) + " s"), pxPerS = (width - left - right) / end;
    var steps = [10, 20, 30, 50, 100, 200, 500, 1000], step = steps[steps.length - 1];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * pxPerS >= widest + 2 * pad) { step = steps[i]; break; }
    }
    for (var t = 0; t <= end; t += step) {
      T.text(x(t), y, t + " s", {"text-anchor": "middle", fill: "#333333", "class": "rc-label rc-tick"});
    }
    y += lh + pad;
    svg.setAttribute("viewBox", "0 0 " + width + " " + Math.ceil(y));
    svg.setAttribute("width", width);
    svg.setAttribute("height", Math.ceil(y));
  }

  // -- the bars: measured stale-deploy rates of every strategy --------------------------------

  // "; 40 for reconcile_latest, which only the SimPy engine decides": the strategies whose bars
  // were measured over fewer trials (none, for one push)
  function fewer(set) {
    var names = Object.keys(set.simpy_trials || {});
    if (!names.length) { return ""; }
    return names.map(function (n) { return "; " + set.simpy_trials[n] + " for " + n; }).join("") +
      ", which only the SimPy engine decides";
  }

  function drawBars(svg, data, state, width, fs) {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var T = new Timeline(svg, fs), lh = T.lh, pad = Math.round(fs * 0.5);
    var one = data.onePush[state.build + ""], two = data.twoPushes[state.build + "|" + state.gap];
    var sets = [one, two];
    var left = Math.ceil(Math.max.apply(null, data.strategies.map(function (s) { return T.width(s, true); }))) + 2 * pad;
    var right = Math.ceil(T.width("100%")) + 2 * pad;
    function x(p) { return left + (width - left - right) * p; }
    var y = 0, barH = Math.round(lh * 0.75);
    data.strategies.forEach(function (name) {
      var rowTop = y, picked = name === state.strategy;
      if (picked) {
        svg.appendChild(el("svg:rect", {x: 0, y: rowTop, width: width, height: 2 * lh,
          fill: "#FFF3C4", "class": "rc-picked"}));
      }
      T.text(left - pad, rowTop + lh / 2, name, {"text-anchor": "end",
        "font-weight": picked ? "bold" : "normal", "class": "rc-label rc-bar-name"});
      sets.forEach(function (set, k) {
        var v = set.stale[name], top = rowTop + k * lh + (lh - barH) / 2;
        svg.appendChild(el("svg:rect", {x: left, y: top, width: Math.max(x(v[0]) - left, 1), height: barH,
          fill: RATE_COLORS[k], "class": "rc-rate", "data-strategy": name, "data-situation": k ? "two" : "one",
          "data-p": v[0]}));
        var mid = top + barH / 2;
        svg.appendChild(el("svg:line", {x1: x(v[1]), x2: x(v[2]), y1: mid, y2: mid, stroke: "#000000",
          "stroke-width": 1.5, "class": "rc-interval"}));
        T.text(x(Math.max(v[0], v[2])) + pad, rowTop + k * lh, pct(v[0]),
          {"class": "rc-label rc-rate-label"});
      });
      y += 2 * lh + pad;
    });
    svg.setAttribute("viewBox", "0 0 " + width + " " + Math.ceil(y));
    svg.setAttribute("width", width);
    svg.setAttribute("height", Math.ceil(y));
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
    function swatch(color) {
      return el("span", {style: "display:inline-block;width:1em;height:.8em;background:" + color});
    }
    Object.keys(colors).forEach(function (step) { if (used[step]) { item(swatch(colors[step]), step); } });
    Object.keys(MARKS).forEach(function (m) {
      if (marks[m]) { item(el("span", {style: "color:" + MARKS[m][1]}, MARKS[m][0]), MARKS[m][2]); }
    });
    if (scene.service.some(function (seg) { return seg[3]; })) { item(swatch("#CDEBD5"), "service runs the newest image"); }
    if (scene.service.some(function (seg) { return !seg[3]; })) { item(swatch("#F4C7C9"), "service behind the newest image"); }
    if (scene.windows.length) { item(swatch("#C44E5233"), "race window"); }
  }

  // -- the page -------------------------------------------------------------------------------

  function wantsProjector() {
    return /(^|[#&?])projector\b/.test(window.location.hash) ||
      /(^|[?&])projector\b/.test(window.location.search);
  }

  function start(root, data) {
    root.textContent = "";
    if (!document.getElementById("rc-style")) {
      document.head.appendChild(el("style", {id: "rc-style"}, CSS));
    }
    var lesson = data.lesson;
    var state = {strategy: data.start.strategy, build: data.start.build, gap: data.start.gap,
      sleep: data.start.sleep, step: 0, picked: null, revealed: false,
      projector: wantsProjector()};

    var toolbar = el("div", {"class": "rc-toolbar"});
    var prev = el("button", {type: "button", "class": "rc-prev", "aria-label": "previous step"}, "\u25C0 back");
    var count = el("span", {"class": "rc-step-count"});
    var next = el("button", {type: "button", "class": "rc-next", "aria-label": "next step"}, "next \u25B6");
    var proj = el("button", {type: "button", "class": "rc-projector-toggle"}, "projector mode");
    [prev, count, next, proj].forEach(function (n) { toolbar.appendChild(n); });

    var box = el("div", {"class": "rc-lesson"});
    var title = el("p", {"class": "rc-step-title"});
    var setup = el("p", {"class": "rc-setup"});
    var question = el("p", {"class": "rc-question"});
    var choices = el("div", {"class": "rc-choices", role: "group", "aria-label": "your prediction"});
    var reveal = el("button", {type: "button", "class": "rc-reveal"}, "reveal");
    var answer = el("p", {"class": "rc-answer"});
    var explain = el("p", {"class": "rc-explain"});
    [title, setup, question, choices, reveal, answer, explain].forEach(function (n) { box.appendChild(n); });

    var controls = el("div", {"class": "rc-controls"});
    var inputs = {};
    ["build", "gap", "sleep"].forEach(function (name) {
      var values = data.grid[name];
      var label = el("label", {});
      label.appendChild(document.createTextNode(data.labels[name] + " "));
      var input = el("input", {type: "range", min: 0, max: values.length - 1, step: 1,
        value: values.indexOf(state[name]), "data-control": name, "aria-label": data.labels[name]});
      var out = el("output", {"data-value": name}, String(state[name]));
      input.addEventListener("input", function () {
        state[name] = values[Number(input.value)]; out.textContent = String(state[name]);
        state.revealed = true; update();
      });
      label.appendChild(input); label.appendChild(out);
      controls.appendChild(label); inputs[name] = [input, out];
    });
    var pick = el("select", {"data-control": "strategy", "aria-label": "strategy"});
    data.strategies.forEach(function (s) { pick.appendChild(el("option", {value: s}, s)); });
    pick.value = state.strategy;
    pick.addEventListener("change", function () {
      state.strategy = pick.value;
      // like the notebook widget: a preset brings its own sleep (sleep:60 sleeps 60 s)
      var own = data.presetSleep[pick.value];
      if (data.grid.sleep.indexOf(own) >= 0) { state.sleep = own; }
      state.revealed = true; update();
    });
    var pl = el("label", {}); pl.appendChild(document.createTextNode("strategy ")); pl.appendChild(pick);
    controls.appendChild(pl);

    var result = el("div", {"class": "rc-result"});
    var verdict = el("p", {"class": "rc-verdict"});
    var numbers = el("p", {"class": "rc-numbers"});
    var svg = el("svg:svg", {"class": "rc-timeline", role: "img", "aria-label": "timeline of the two pushes"});
    var key_ = el("p", {"class": "rc-legend"});
    var caption = el("p", {"class": "rc-bars-caption"});
    var bars = el("svg:svg", {"class": "rc-bars", role: "img", "aria-label": "stale-deploy rate of every strategy"});
    [verdict, numbers, svg, key_, caption, bars].forEach(function (n) { result.appendChild(n); });
    var hint = el("p", {"class": "rc-hint"}, "Predict first: pick an answer, then press reveal.");
    [toolbar, box, controls, hint, result].forEach(function (n) { root.appendChild(n); });

    function setControls() {
      ["build", "gap", "sleep"].forEach(function (name) {
        inputs[name][0].value = data.grid[name].indexOf(state[name]);
        inputs[name][1].textContent = String(state[name]);
      });
      pick.value = state.strategy;
    }

    function go(i) {
      if (i < 0 || i >= lesson.length) { return; }
      var s = lesson[i];
      state.step = i; state.picked = null; state.revealed = false;
      state.strategy = s.strategy; state.build = s.build; state.gap = s.gap; state.sleep = s.sleep;
      update();
    }

    function showLesson() {
      var s = lesson[state.step];
      root.setAttribute("data-step", state.step);
      count.textContent = "step " + (state.step + 1) + " of " + lesson.length;
      prev.disabled = state.step === 0; next.disabled = state.step === lesson.length - 1;
      title.textContent = s.title;
      setup.textContent = s.setup;
      question.textContent = s.question;
      choices.textContent = "";
      s.choices.forEach(function (c) {
        var b = el("button", {type: "button", "class": "rc-choice", "data-choice": c[0],
          "aria-pressed": state.picked === c[0] ? "true" : "false"}, c[1]);
        b.addEventListener("click", function () { state.picked = c[0]; showLesson(); });
        choices.appendChild(b);
      });
      var shown = state.revealed && lesson[state.step].strategy === state.strategy &&
        s.build === state.build && s.gap === state.gap && s.sleep === state.sleep;
      answer.className = "rc-answer";
      answer.setAttribute("data-answer", shown ? s.answer : "");
      if (shown) {
        var text = s.choices.filter(function (c) { return c[0] === s.answer; })[0][1];
        answer.textContent = "The simulation says: " + text + "." + (state.picked === null ? ""
          : state.picked === s.answer ? " Your prediction was right." : " Your prediction was different.");
        if (state.picked !== null) { answer.className += state.picked === s.answer ? " rc-right" : " rc-wrong"; }
        explain.textContent = s.explain;
      } else {
        answer.textContent = state.revealed ? "You are exploring: the controls differ from " +
          "this step's settings. Press reveal to go back to them and see the step's answer." : "";
        explain.textContent = "";
      }
      reveal.disabled = shown;
    }

    function update() {
      var scene = data.scenes[key(state)];
      setControls();
      showLesson();
      root.setAttribute("data-scene", key(state));
      root.classList.toggle("rc-projector", state.projector);
      proj.setAttribute("aria-pressed", state.projector ? "true" : "false");
      result.classList.toggle("rc-hidden", !state.revealed);
      hint.classList.toggle("rc-hidden", state.revealed);
      verdict.textContent = "";
      verdict.appendChild(el("b", {}, state.strategy + (state.sleep !== data.presetSleep[state.strategy]
        ? " + sleep " + state.sleep + " s" : "")));
      verdict.appendChild(document.createTextNode(": " + scene.verdict));
      var one = data.onePush[state.build + ""], two = data.twoPushes[state.build + "|" + state.gap];
      var presetSleep = state.sleep === data.presetSleep[state.strategy];
      numbers.textContent = "A pushed at 0 s (build " + state.build + " s), B at " + state.gap +
        " s (build " + data.secondBuild + " s) \u2022 stale deploys: " + scene.stale +
        " \u2022 production ends on: " + scene.ends_on +
        (presetSleep ? " \u2022 sampled runs of " + state.strategy + ": stale deploy in " +
          pct(one.stale[state.strategy][0]) + " of one-push runs and " + pct(two.stale[state.strategy][0]) +
          " of two-push runs; runners busy " + Math.round(one.runner_s[state.strategy]) + " s per push" : "");
      numbers.setAttribute("data-stale", scene.stale);
      numbers.setAttribute("data-ends-on", scene.ends_on);
      caption.textContent = "";
      caption.appendChild(el("b", {}, "How often each strategy deploys stale code"));
      caption.appendChild(document.createTextNode(" (each with its own sleep), measured when this page was built: " +
        "top bar one push (" + one.trials + " sampled runs), bottom bar two pushes " + state.gap +
        " s apart (" + two.trials + " runs" + fewer(two) + "), build A about " + state.build + " s, seed " + one.seed +
        "; the black lines are 95% intervals."));
      if (state.revealed) { redraw(); }
      legend(key_, scene, data.colors);
    }

    function redraw() {
      var width = Math.max(root.clientWidth - 4, 320), fs = state.projector ? 20 : 14;
      draw(svg, data.scenes[key(state)], data.colors, width, fs);
      drawBars(bars, data, state, width, fs);
    }

    prev.addEventListener("click", function () { go(state.step - 1); });
    next.addEventListener("click", function () { go(state.step + 1); });
    reveal.addEventListener("click", function () {
      var s = lesson[state.step];
      state.strategy = s.strategy; state.build = s.build; state.gap = s.gap; state.sleep = s.sleep;
      state.revealed = true; update();
    });
    proj.addEventListener("click", function () {
      state.projector = !state.projector;
      if (window.history && window.history.replaceState) {
        var url = window.location.pathname + window.location.search + (state.projector ? "#projector" : "");
        window.history.replaceState(null, "", url);
      }
      update();
    });
    root.racesimKeys = function (event) {
      var tag = event.target && event.target.tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || event.altKey ||
        event.ctrlKey || event.metaKey) { return; }
      if (event.key === "ArrowRight" || event.key === "PageDown") { go(state.step + 1); event.preventDefault(); }
      else if (event.key === "ArrowLeft" || event.key === "PageUp") { go(state.step - 1); event.preventDefault(); }
    };
    root.racesimHash = function () {
      var want = wantsProjector();
      if (want !== state.projector) { state.projector = want; update(); }
    };
    root.racesimResize = function () { if (state.revealed) { redraw(); } };
    if (document.fonts && document.fonts.ready) {  // a web font arrived: measure texts anew
      document.fonts.ready.then(function () { widths = {}; root.racesimResize(); });
    }
    go(0);
  }

  var current = null;
  function boot() {
    var root = document.getElementById("racesim-classroom");
    if (current) {  // a page swapped in by instant navigation: drop the old page's listeners
      document.removeEventListener("keydown", current.racesimKeys);
      window.removeEventListener("hashchange", current.racesimHash);
      window.removeEventListener("resize", current.racesimResize);
      current = null;
    }
    if (root && window.RACESIM_CLASSROOM) {
      start(root, window.RACESIM_CLASSROOM);
      document.addEventListener("keydown", root.racesimKeys);
      window.addEventListener("hashchange", root.racesimHash);
      window.addEventListener("resize", root.racesimResize);
      current = root;
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", boot); }
  else { boot(); }
  // MkDocs Material's instant navigation swaps pages without a reload
  if (window.document$ && window.document$.subscribe) { window.document$.subscribe(boot); }
})();
