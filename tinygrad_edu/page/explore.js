// The step-through of tinygrad_edu's explore page. The numbers come from a real backward pass of the engine
// (viz_page.py records it and writes them as JSON into the page): this script only replays them on the
// Graphviz SVG, it computes no gradient. Positions on the timeline: 0 (nothing computed), 1..F (forward: one
// node each, inputs first), F+1..F+B (backward: one node each, in the engine's visiting order).
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("explore-data").textContent);
  var nodes = D.nodes, steps = D.steps, F = nodes.length, B = steps.length, N = F + B;
  nodes.forEach(function (n) {  // (viz_page.py leaves out the fields at their default)
    n.inputs = n.inputs || []; n.shape = n.shape || []; n.dtype = n.dtype || "float64"; n.opLabel = n.opLabel || "";
  });
  steps.forEach(function (st) {  // what each node received, from which node (a node used twice gets two parts)
    st.sent.forEach(function (x) {
      var to = x[0]; x[3] = D.rules[x[3]];
      (nodes[to].recv = nodes[to].recv || []).push([st.n, x[1]]);
    });
  });
  steps.forEach(function (st) { st.recv = nodes[st.n].recv || []; });
  var svg = document.querySelector("#graph svg");
  var $ = function (id) { return document.getElementById(id); };
  var pos = 0, timer = null, selected = -1, hovered = -1;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  // Numbers as the static picture writes them: 4 significant digits, scientific when tiny or huge.
  function fmt(x) {
    if (typeof x !== "number") return String(x);
    var a = Math.abs(x);
    if (a === 0) return "0";
    if (a >= 1e-3 && a < 1e5) return String(parseFloat(x.toPrecision(4)));
    return x.toExponential(3).replace(/e([+-])(\d)$/, "e$10$2");
  }
  function summary(s) {
    if (s === null || s === undefined) return "\u2013";
    if (typeof s !== "object") return fmt(s);
    if (s.min === undefined) return "(empty)";
    return fmt(s.min) + " / " + fmt(s.mean) + " / " + fmt(s.max);
  }

  // ---- the SVG: Graphviz names each node and edge in its <title> (viz.draw_graph's node names) ----
  var byTitle = {};
  Array.prototype.forEach.call(svg.querySelectorAll("g.node, g.edge"), function (g) {
    var t = g.querySelector("title");
    if (t) byTitle[t.textContent] = g;
  });
  var els = [], elIndex = new Map(), elNodes = [];
  function el(g, i) {  // register an element of node i; returns its index in els (or -1)
    if (!g) return -1;
    var k = elIndex.get(g);
    if (k === undefined) {
      k = els.length; els.push(g); elIndex.set(g, k); elNodes.push([]);
      g.dataset.base = g.getAttribute("class");
    }
    if (i >= 0 && elNodes[k].indexOf(i) < 0) elNodes[k].push(i);
    return k;
  }
  function centred(t) {  // anchor a text at the middle of its table cell, so that new text stays centred
    var cell = t.previousElementSibling, xs = [];
    if (cell && cell.tagName === "polygon") {
      cell.getAttribute("points").split(" ").forEach(function (p) { xs.push(parseFloat(p.split(",")[0])); });
      t.setAttribute("x", (Math.min.apply(null, xs) + Math.max.apply(null, xs)) / 2);
      t.setAttribute("text-anchor", "middle");
    }
    return t;
  }
  var view = nodes.map(function (n, i) {
    var box = byTitle[n.id], v = { box: el(box, i), op: -1, edges: [], flow: [], dataT: null, gradT: null };
    if (!n.merged && n.inputs.length) {
      v.op = el(byTitle[n.id + "op"], i);
      v.edges.push(el(byTitle[n.id + "op->" + n.id], -1));
    }
    var target = n.merged ? n.id : n.id + "op";
    n.inputs.forEach(function (j) {
      var e = el(byTitle[nodes[j].id + "->" + target], -1);
      if (e >= 0) { v.edges.push(e); v.flow.push(e); }
    });
    if (box && !n.merged) {
      Array.prototype.forEach.call(box.querySelectorAll("text"), function (t) {
        if (t.getAttribute("font-weight")) return;  // (a label)
        if (t.textContent.indexOf("data ") === 0) v.dataT = centred(t);
        else if (t.textContent.indexOf("grad ") === 0) v.gradT = centred(t);
      });
    }
    return v;
  });
  var consumers = nodes.map(function () { return []; });
  nodes.forEach(function (n, i) { n.inputs.forEach(function (j) { if (consumers[j].indexOf(i) < 0) consumers[j].push(i); }); });

  // ---- the state at a position, replayed from the recorded steps ----
  var parts = new Uint32Array(F);  // how many parts each node receives in the whole pass
  steps.forEach(function (st) { st.sent.forEach(function (x) { parts[x[0]]++; }); });
  function stateAt(k) {  // done[i]: every part of i's gradient has arrived (visited, or all its users were)
    var f = Math.min(k, F), b = Math.max(0, k - F), grad = new Array(F), done = new Uint8Array(F), got = new Uint32Array(F);
    for (var s = 0; s < b; s++) {
      var st = steps[s];
      grad[st.n] = st.g; done[st.n] = 1;
      for (var q = 0; q < st.sent.length; q++) {
        var j = st.sent[q][0];
        grad[j] = st.sent[q][2];
        if (++got[j] === parts[j]) done[j] = 1;
      }
    }
    return { f: f, b: b, grad: grad, done: done,
      fwd: k > 0 && k <= F ? k - 1 : -1, bwd: b > 0 ? steps[b - 1] : null };
  }
  var cls = [], texts = new Map();
  function setText(t, s, c) {
    var old = texts.get(t);
    if (old && old[0] === s && old[1] === c) return;
    texts.set(t, [s, c]);
    t.textContent = s;
    t.setAttribute("class", c);
  }
  function render() {
    var S = stateAt(pos), want = els.map(function () { return { on: false, cur: false, tgt: false, flow: false, sel: false }; });
    var cur = S.bwd ? S.bwd.n : S.fwd, targets = S.bwd ? S.bwd.sent.map(function (x) { return x[0]; }) : [];
    nodes.forEach(function (n, i) {
      var v = view[i], on = i < S.f;
      [v.box, v.op].concat(v.edges).forEach(function (k) { if (k >= 0 && on) want[k].on = true; });
      if (i === cur) { if (v.box >= 0) want[v.box].cur = true; if (v.op >= 0) want[v.op].cur = true; }
      if (S.bwd && i === S.bwd.n) v.flow.forEach(function (k) { want[k].flow = true; });
      if (targets.indexOf(i) >= 0 && v.box >= 0) want[v.box].tgt = true;
      if (i === selected && v.box >= 0) want[v.box].sel = true;
      if (v.dataT) setText(v.dataT, on ? "data " + summary(n.data) : "data ?", "");
      if (v.gradT) {
        var g = S.grad[i];
        setText(v.gradT, g === undefined ? "grad \u2013" : "grad " + summary(g), g === undefined ? "" : S.done[i] ? "done" : "partial");
      }
    });
    want.forEach(function (w, k) {
      var c = els[k].dataset.base + (w.on ? "" : " pending") + (w.cur ? " current" : "") + (w.tgt ? " target" : "") +
        (w.flow ? " flow" : "") + (w.sel ? " selected" : "");
      if (cls[k] !== c) { cls[k] = c; els[k].setAttribute("class", c); }
    });
    $("counter").textContent = "step " + pos + " / " + N + (pos === 0 ? "" : pos <= F ? " (forward)" : " (backward)");
    $("slider").value = pos;
    $("step").innerHTML = stepText(S);
    showInfo(hovered >= 0 ? hovered : selected, S);
    if (!$("graph").classList.contains("fit") && cur >= 0 && view[cur].box >= 0 && els[view[cur].box].scrollIntoView) {
      els[view[cur].box].scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  }

  function name(i) { return esc(nodes[i].name); }
  function stepText(S) {
    if (D.capped) return "<h3>Static picture</h3>";
    if (pos === 0) {
      return "<h3>Ready</h3><p>Press <b>next</b> (or &#8594;) to run the <b>forward</b> pass: each node lights up " +
        "when it is computed and shows its value. Then the <b>backward</b> pass runs in the engine's own order: " +
        "each node receives its gradient, and its rule sends a part of it to each of its inputs.</p>";
    }
    if (S.fwd >= 0) {
      var n = nodes[S.fwd], h = "<h3>Forward " + (S.fwd + 1) + " / " + F + ": " + name(S.fwd) + "</h3>";
      if (!n.inputs.length) return h + "<p>A leaf (" + esc(n.kind) + "): given, <span class=num>" + summary(n.data) + "</span>.</p>";
      return h + "<p><b>" + name(S.fwd) + "</b> = " + esc(n.opLabel) + "(" + n.inputs.map(name).join(", ") + ") = <span class=num>" +
        summary(n.data) + "</span></p><table><tr><th>input</th><th>value</th></tr>" + n.inputs.map(function (j) {
        return "<tr><td>" + name(j) + "</td><td class=num>" + summary(nodes[j].data) + "</td></tr>"; }).join("") + "</table>";
    }
    var st = S.bwd, i = st.n, m = nodes[i], t = "<h3>Backward " + S.b + " / " + B + ": " + name(i) + "</h3>";
    if (S.b === 1) t += "<p>The output: backward starts with d" + name(i) + "/d" + name(i) + " = <span class=num>" + summary(st.g) + "</span>.</p>";
    else {
      t += "<p>Every op that uses " + name(i) + " has sent its part: the gradient is complete, <span class=num>" + summary(st.g) + "</span>.</p>";
      if (st.recv.length > 1) {
        t += "<p class=sum>Used by " + st.recv.length + " ops, so the parts add up: " + st.recv.map(function (r) {
          return "<span class=num>" + summary(r[1]) + "</span> (from " + name(r[0]) + ")"; }).join(" + ") +
          " = <span class=num>" + summary(st.g) + "</span></p>";
      }
    }
    if (!m.inputs.length) return t + "<p>A leaf: its gradient is final here; it has no inputs to send to.</p>";
    if (!st.sent.length) return t + "<p>None of its inputs needs a gradient: nothing is sent.</p>";
    t += "<p>The rule of <b>" + esc(m.opLabel) + "</b> sends to each input (gradient \u00d7 local derivative):</p>" +
      "<table><tr><th>input</th><th>local rule</th><th>sent</th><th>its gradient so far</th></tr>";
    st.sent.forEach(function (x) {
      t += "<tr><td>" + name(x[0]) + "</td><td class=rule>" + esc(x[3]) + "</td><td class=num>" + summary(x[1]) +
        "</td><td class=num>" + summary(x[2]) + "</td></tr>";
    });
    return t + "</table>";
  }

  function heat(s, label) {
    if (!s || typeof s !== "object" || !s.heat) return "";
    var rows = s.heat.length, cols = s.heat[0].length, size = Math.max(4, Math.min(20, Math.floor(180 / Math.max(rows, cols))));
    return "<div>" + label + " (" + rows + "\u00d7" + cols + ", blue &lt; 0 &lt; red)</div><canvas class=heat width=" + cols * size +
      " height=" + rows * size + " data-size=" + size + " data-heat='" + JSON.stringify(s.heat) + "'></canvas>";
  }
  function paintHeat(c) {
    var m = JSON.parse(c.dataset.heat), size = +c.dataset.size, ctx = c.getContext("2d"), top = 0;
    m.forEach(function (r) { r.forEach(function (x) { if (typeof x === "number") top = Math.max(top, Math.abs(x)); }); });
    m.forEach(function (r, y) { r.forEach(function (x, xI) {
      var t = typeof x === "number" && top > 0 ? x / top : 0, u = Math.round(255 * (1 - Math.abs(t)));
      ctx.fillStyle = t >= 0 ? "rgb(255," + u + "," + u + ")" : "rgb(" + u + "," + u + ",255)";
      ctx.fillRect(xI * size, y * size, size, size);
    }); });
  }
  function showInfo(i, S) {
    var box = $("info");
    if (i < 0) { box.innerHTML = "<p class=hint>Hover over or click a node to see its numbers.</p>"; return; }
    var n = nodes[i], rows = [["kind", esc(n.kind)]];
    if (n.inputs.length) rows.push(["op", esc(n.opLabel) + " of " + n.inputs.map(name).join(", ")]);
    if (consumers[i].length) rows.push(["used by", consumers[i].length + " op" + (consumers[i].length > 1 ? "s" : "")]);
    if (n.scope) rows.push(["module", esc(n.scope)]);
    rows.push(["shape", n.shape.length ? "(" + n.shape.join(", ") + ")" : "scalar"], ["dtype", esc(n.dtype)]);
    var tensor = typeof n.data === "object" && n.data !== null, mmm = tensor ? " (min / mean / max)" : "";
    rows.push(["data" + mmm, "<span class=num>" + summary(n.data) + "</span>"]);
    var now = S.grad[i];
    rows.push(["grad now" + mmm, "<span class=num>" + (now === undefined ? "not yet" : summary(now) + (S.done[i] ? "" : " (so far)")) + "</span>"]);
    rows.push(["grad at the end" + mmm, "<span class=num>" + summary(n.grad) + "</span>"]);
    var shared = view[i].box >= 0 ? elNodes[view[i].box].length : 1;
    box.innerHTML = "<h3>" + name(i) + "</h3>" + (n.merged ? "<p class=note>Drawn in a group of " + shared + " values.</p>" : "") +
      "<table>" + rows.map(function (r) { return "<tr><th>" + r[0] + "</th><td>" + r[1] + "</td></tr>"; }).join("") + "</table>" +
      heat(n.data, "data") + heat(n.grad, "grad at the end");
    Array.prototype.forEach.call(box.querySelectorAll("canvas.heat"), paintHeat);
  }

  // ---- controls ----
  function go(k) { pos = Math.max(0, Math.min(N, k)); render(); if (pos === N) stop(); }
  function stop() { if (timer) clearInterval(timer); timer = null; $("play").textContent = "play"; }
  function play() {
    if (timer) return stop();
    if (pos === N) pos = 0;
    $("play").textContent = "pause";
    timer = setInterval(function () { go(pos + 1); }, 1000 / parseFloat($("speed").value));
  }
  $("next").onclick = function () { go(pos + 1); };
  $("prev").onclick = function () { go(pos - 1); };
  $("start").onclick = function () { stop(); go(0); };
  $("end").onclick = function () { stop(); go(N); };
  $("play").onclick = play;
  $("speed").onchange = function () { if (timer) { stop(); play(); } };
  $("to-forward").onclick = function () { go(0); };
  $("to-backward").onclick = function () { go(F); };
  $("slider").max = N;
  $("slider").oninput = function () { go(parseInt(this.value, 10)); };
  $("fit").onchange = function () { $("graph").classList.toggle("fit", this.checked); };
  if (svg.width.baseVal.value > 3 * $("graph").clientWidth) {  // too wide to read when fitted: scroll instead
    $("fit").checked = false; $("graph").classList.remove("fit");
  }
  document.addEventListener("keydown", function (e) {
    if (e.target && (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") && e.target.type !== "checkbox") return;
    var keys = { ArrowRight: function () { go(pos + 1); }, ArrowLeft: function () { go(pos - 1); },
      Home: function () { go(0); }, End: function () { go(N); }, " ": play };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });
  els.forEach(function (g, k) {
    if (!elNodes[k].length) return;
    var i = elNodes[k][elNodes[k].length - 1];  // (a group: its last value, the one nearest the output)
    g.addEventListener("mouseenter", function () { hovered = i; showInfo(i, stateAt(pos)); });
    g.addEventListener("mouseleave", function () { hovered = -1; showInfo(selected, stateAt(pos)); });
    g.addEventListener("click", function () { selected = selected === i ? -1 : i; render(); });
  });

  $("title").textContent = D.title || "Explore the graph";
  $("notes").innerHTML = (D.notes || []).map(function (s) { return "<p class=note>" + esc(s) + "</p>"; }).join("") +
    "<p class=note><b>Forward order</b>: inputs first, a topological order of the graph. The engine records no " +
    "times, so this is an order in which the values can have been computed, not necessarily the one your code ran.</p>" +
    "<p class=note><b>Backward order</b>: recorded from the engine's own pass (Kahn's order from the output: a node " +
    "is visited once every op that uses it has sent its part). Gradients in <i style='color:#b35806'>orange italics</i> " +
    "are partial sums, still waiting for parts; <b>bold</b> ones are complete. Tensors show min / mean / max.</p>";
  if (D.capped) { $("bar").querySelectorAll("button, input, select").forEach(function (b) { b.disabled = true; }); }
  render();
  window.explore = { go: go, position: function () { return pos; }, length: N, forward: F, backward: B,
    initMs: performance.now() };
  document.body.setAttribute("data-ready", "1");
})();
