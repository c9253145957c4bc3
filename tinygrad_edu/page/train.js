// The training page: a slider over recorded steps of a real run (tinygrad_edu/train_views.py records them).
// Surfaces arrive as base64 bytes (0..255 over the shown range); nothing is trained or recomputed here.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("train-data").textContent);
  const $ = (id) => document.getElementById(id);
  const runSelect = $("run"), slider = $("slider"), counter = $("counter");
  const surface = $("surface"), lossCanvas = $("loss");
  let run = null, frame = 0, timer = null;

  function bytes(b64) {
    const s = atob(b64), out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function coolwarm(t) {  // 0 blue .. 0.5 white .. 1 red
    const a = Math.abs(2 * t - 1), w = Math.round(255 * (1 - a));
    return t < 0.5 ? [w, w, 255] : [255, w, w];
  }
  function viridis(t) {  // a few stops of the viridis map, linearly between
    const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
    const x = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1), i = Math.floor(x), f = x - i;
    return stops[i].map((c, k) => Math.round(c + f * (stops[i + 1][k] - c)));
  }
  function fmt(x) { return Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : (+x.toFixed(4)).toString(); }

  // the picture on the left: decision surface (gates), output curve (NOT) or contour plot with the path (descent)
  function drawSurface() {
    const ctx = surface.getContext("2d"), W = surface.width, H = surface.height, pad = 30;
    const fr = run.frames[frame];
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
    const sx = (u) => pad + u * (W - 2 * pad), sy = (v) => H - pad - v * (H - 2 * pad);
    if (run.kind === "gate2d" || run.kind === "descent" || run.kind === "moons") {
      const [rows, cols] = run.kind === "descent" ? run.shape : [run.grid, run.grid];
      const vals = bytes(run.kind === "descent" ? run.surface : fr.surface);
      const img = ctx.createImageData(cols, rows);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
        const t = vals[r * cols + c] / 255, rgb = run.kind === "descent" ? viridis(t) : coolwarm(t);
        const o = ((rows - 1 - r) * cols + c) * 4;  // row 0 is the bottom
        img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
      }
      const tmp = document.createElement("canvas"); tmp.width = cols; tmp.height = rows;
      tmp.getContext("2d").putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(tmp, pad, pad, W - 2 * pad, H - 2 * pad);
    }
    ctx.strokeStyle = "#333"; ctx.strokeRect(pad, pad, W - 2 * pad, H - 2 * pad);
    ctx.fillStyle = "#333"; ctx.font = "11px Helvetica";
    if (run.kind === "gate2d") {
      run.inputs.forEach(([a, b], i) => {
        ctx.beginPath(); ctx.arc(sx(a), sy(b), 9, 0, 2 * Math.PI);
        const rgb = coolwarm(run.targets[i]); ctx.fillStyle = `rgb(${rgb})`; ctx.fill();
        ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.stroke(); ctx.lineWidth = 1;
      });
      ctx.fillStyle = "#333"; ctx.fillText("x1", W / 2, H - 8); ctx.fillText("x2", 6, H / 2);
      $("surface-caption").textContent = "f(x) over the unit square (blue 0, red 1); dots: the truth table";
    } else if (run.kind === "moons") {
      const [l0, l1] = run.low, [h0, h1] = run.high;
      run.inputs.forEach(([a, b], i) => {
        ctx.beginPath(); ctx.arc(sx((a - l0) / (h0 - l0)), sy((b - l1) / (h1 - l1)), 4, 0, 2 * Math.PI);
        const rgb = coolwarm(run.targets[i]); ctx.fillStyle = `rgb(${rgb})`; ctx.fill(); ctx.strokeStyle = "#000"; ctx.stroke();
      });
      ctx.fillStyle = "#333"; ctx.fillText("x1", W / 2, H - 8); ctx.fillText("x2", 6, H / 2);
      $("surface-caption").textContent = "the score over the plane (blue: class -1, red: class +1; the boundary is where they meet); dots: the data";
    } else if (run.kind === "gate1d") {
      const vals = bytes(fr.surface);
      ctx.beginPath();
      vals.forEach((v, i) => { const X = sx(i / (vals.length - 1)), Y = sy(v / 255); i ? ctx.lineTo(X, Y) : ctx.moveTo(X, Y); });
      ctx.strokeStyle = "#1f77b4"; ctx.lineWidth = 2; ctx.stroke(); ctx.lineWidth = 1;
      run.inputs.forEach(([a], i) => { ctx.beginPath(); ctx.arc(sx(a), sy(run.targets[i]), 6, 0, 2 * Math.PI); ctx.fillStyle = "#d62728"; ctx.fill(); });
      ctx.fillStyle = "#333"; ctx.fillText("x", W / 2, H - 8); ctx.fillText("f(x)", 2, pad - 8);
      $("surface-caption").textContent = "f(x) for x in [0, 1]; red dots: the truth table";
    } else {
      const [l0, l1] = run.low, [h0, h1] = run.high;
      const px = (p) => [sx((p[0] - l0) / (h0 - l0)), sy((p[1] - l1) / (h1 - l1))];
      ctx.beginPath();
      run.path.slice(0, frame + 1).forEach((p, i) => { const [X, Y] = px(p); i ? ctx.lineTo(X, Y) : ctx.moveTo(X, Y); });
      ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.stroke(); ctx.lineWidth = 1;
      const [X, Y] = px(run.path[frame]);
      ctx.beginPath(); ctx.arc(X, Y, 6, 0, 2 * Math.PI); ctx.fillStyle = "#d62728"; ctx.fill();
      ctx.fillStyle = "#333"; ctx.fillText("x1", W / 2, H - 8); ctx.fillText("x2", 6, H / 2);
      $("surface-caption").textContent = `f over the box (dark low, yellow high: ${fmt(run.range[0])} .. ${fmt(run.range[1])}); white: the path so far`;
    }
  }

  // the loss curve of the whole run, with the chosen step marked (log scale for cross-entropy)
  function drawLoss() {
    const ctx = lossCanvas.getContext("2d"), W = lossCanvas.width, H = lossCanvas.height, pad = 40;
    const L = run.losses, step = run.frames[frame].step, log = run.kind !== "descent";
    const tr = (v) => (log ? Math.log10(Math.max(v, 1e-12)) : v);
    const ys = L.map(tr), lo = Math.min(...ys), hi = Math.max(...ys), span = hi - lo || 1;
    const sx = (i) => pad + (i / Math.max(1, L.length - 1)) * (W - 1.5 * pad), sy = (v) => H - pad - ((tr(v) - lo) / span) * (H - 1.6 * pad);
    ctx.clearRect(0, 0, W, H); ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
    ctx.strokeStyle = "#999"; ctx.strokeRect(pad, 0.6 * pad, W - 1.5 * pad, H - 1.6 * pad);
    ctx.beginPath(); L.forEach((v, i) => (i ? ctx.lineTo(sx(i), sy(v)) : ctx.moveTo(sx(i), sy(v))));
    ctx.strokeStyle = "#bbb"; ctx.stroke();
    ctx.beginPath(); L.slice(0, step + 1).forEach((v, i) => (i ? ctx.lineTo(sx(i), sy(v)) : ctx.moveTo(sx(i), sy(v))));
    ctx.strokeStyle = "#1f77b4"; ctx.lineWidth = 2; ctx.stroke(); ctx.lineWidth = 1;
    const v = run.frames[frame].loss;
    ctx.beginPath(); ctx.arc(sx(step), sy(v), 5, 0, 2 * Math.PI); ctx.fillStyle = "#d62728"; ctx.fill();
    ctx.fillStyle = "#333"; ctx.font = "11px Helvetica";
    ctx.fillText(fmt(log ? 10 ** hi : hi), 2, 0.6 * pad + 10); ctx.fillText(fmt(log ? 10 ** lo : lo), 2, H - pad);
    ctx.fillText("step", W / 2, H - 10);
    $("loss-caption").textContent = `${data.lossName}${log ? " (log scale)" : ""} at step ${step}: ${fmt(v)}`;
  }

  function table(name, value) {
    const rows = Array.isArray(value) ? (Array.isArray(value[0]) ? value : [value]) : [[value]];
    return `<table><caption>${name}</caption>` + rows.map((r) => "<tr>" + r.map((x) => `<td>${fmt(x)}</td>`).join("") + "</tr>").join("") + "</table>";
  }
  function drawWeights() {
    const fr = run.frames[frame];
    let h = `<div>step ${fr.step} of ${run.losses.length - 1}</div>`;
    h += Object.entries(fr.weights).map(([k, v]) => table(k, v)).join("");
    if (fr.outputs) h += table("f(x) on the truth table", fr.outputs) + table("truth table", run.targets);
    $("weights").innerHTML = h;
  }

  function show(i) {
    frame = Math.max(0, Math.min(run.frames.length - 1, i));
    slider.value = frame;
    counter.textContent = `step ${run.frames[frame].step} / ${run.frames[run.frames.length - 1].step}`;
    drawSurface(); drawLoss(); drawWeights();
    document.body.dataset.step = run.frames[frame].step;
  }
  function choose(i) {
    run = data.runs[i];
    slider.max = run.frames.length - 1;
    const verdict = run.correct === undefined ? "" : run.correct ? "<span class=good>correct after training</span>" : "<span class=bad>not correct after training: descent stalled</span>";
    $("note").innerHTML = `${run.name}. ${verdict}`;
    show(0);
  }
  function play() {
    if (timer) { clearInterval(timer); timer = null; $("play").textContent = "play"; return; }
    if (frame >= run.frames.length - 1) show(0);
    $("play").textContent = "pause";
    timer = setInterval(() => { if (frame >= run.frames.length - 1) play(); else show(frame + 1); }, 60);
  }

  $("title").textContent = data.title;
  data.runs.forEach((r, i) => { const o = document.createElement("option"); o.value = i; o.textContent = r.name; runSelect.appendChild(o); });
  runSelect.addEventListener("change", () => choose(+runSelect.value));
  slider.addEventListener("input", () => show(+slider.value));
  $("play").addEventListener("click", play);
  document.addEventListener("keydown", (e) => {
    if (e.target === runSelect) return;
    if (e.key === "ArrowRight") show(frame + 1); else if (e.key === "ArrowLeft") show(frame - 1);
    else if (e.key === " ") { e.preventDefault(); play(); }
  });
  choose(0);
  document.body.dataset.ready = "1";
})();
