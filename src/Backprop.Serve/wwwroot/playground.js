// The playground page: trains an MLP on the server (GET /api/playground/train, server-sent events)
// and draws each frame: the decision boundary with the points, the loss curves, the per-layer
// gradient norms and the network with its weights. Plain JavaScript; text only ever as text.
'use strict';

(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const FIELDS = ['data', 'noise', 'points', 'test', 'depth', 'width', 'activation', 'init', 'optimizer', 'lr', 'batch', 'seed'];
  const DEFAULTS = { data: 'moons', noise: '0.1', points: '400', test: '0.3', depth: '2', width: '8', activation: 'relu', init: 'default', optimizer: 'adam', lr: '0.03', batch: '16', seed: '1' };
  const LAYER_COLOURS = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490', '#4d7c0f', '#a16207', '#9d174d', '#334155', '#111827'];
  const $ = (id) => document.getElementById(id);
  const state = { source: null, session: null, frames: [], playing: false, large: false, generation: 0 };

  function s(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const fmt = (v, digits = 4) => (typeof v !== 'number' || !Number.isFinite(v)) ? 'n/a' : v.toPrecision(digits);
  const num = (v) => (typeof v === 'number' ? v : Number(v));

  // ---------------------------------------------------------------------------------------------
  // Configuration: the form, the URL and the session all hold the same fields.

  function readConfig() {
    const config = {};
    for (const f of FIELDS) config[f] = String($(f).value).trim();
    return config;
  }

  function writeConfig(config) {
    for (const f of FIELDS) $(f).value = config[f];
    $('noise-out').textContent = config.noise;
    $('test-out').textContent = config.test;
  }

  function configFromUrl() {
    const q = new URLSearchParams(location.search);
    const config = {};
    for (const f of FIELDS) config[f] = q.get(f) || DEFAULTS[f];
    return { config, large: q.get('large') === '1', play: q.get('play') === '1' };
  }

  function saveUrl() {
    const q = new URLSearchParams();
    const config = readConfig();
    for (const f of FIELDS) if (config[f] !== DEFAULTS[f]) q.set(f, config[f]);
    if (state.large) q.set('large', '1');
    const text = q.toString();
    history.replaceState(null, '', location.pathname + (text ? '?' + text : ''));
  }

  // ---------------------------------------------------------------------------------------------
  // A session: one event stream; a new one on reset or when the configuration changes.

  function start() {
    stop();
    showError(null);
    saveUrl();
    const generation = ++state.generation;
    state.frames = [];
    state.session = null;
    setPlaying(false);
    const q = new URLSearchParams(readConfig());
    const source = new EventSource('/api/playground/train?' + q.toString());
    state.source = source;
    source.addEventListener('session', (ev) => {
      if (generation !== state.generation) return;
      state.session = JSON.parse(ev.data);
      drawNetworkFrame(null);
      if (state.autoplay) {
        state.autoplay = false;
        setPlaying(true);
        command('play');
      }
    });
    source.addEventListener('frame', (ev) => {
      if (generation !== state.generation) return;
      const frame = JSON.parse(ev.data);
      // The history keeps what the charts need, not each frame's weights and heat map.
      state.frames.push({ step: frame.step, trainLoss: frame.trainLoss, testLoss: frame.testLoss, gradientNorms: frame.gradientNorms });
      if (state.frames.length > 3000) state.frames.splice(0, state.frames.length - 3000);
      draw(frame);
    });
    source.addEventListener('end', (ev) => {
      if (generation !== state.generation) return;
      const end = JSON.parse(ev.data);
      showError('Training stopped: ' + end.reason + '. Reset to start again.');
      stop();
    });
    source.addEventListener('error', () => {
      if (generation !== state.generation || !state.source) return;
      // The stream failed: a refused configuration (4xx) or the server went away. Ask why once.
      stop();
      explainFailure(q);
    });
  }

  async function explainFailure(q) {
    try {
      const controller = new AbortController();
      const response = await fetch('/api/playground/train?' + q.toString(), { signal: controller.signal });
      if (response.ok) {
        controller.abort();
        showError('The training stream closed. Press Reset to start again.');
        return;
      }
      const body = await response.json();
      showError(body.error || 'the server answered ' + response.status);
    } catch (e) {
      showError('cannot reach the server: is backprop serve still running?');
    }
  }

  function stop() {
    if (state.source) state.source.close();
    state.source = null;
    setPlaying(false);
  }

  async function command(action) {
    if (!state.session) return;
    const speed = $('speed').value;
    const url = `/api/playground/${encodeURIComponent(state.session.id)}/${action}` + (action === 'play' ? `?steps=${encodeURIComponent(speed)}` : '');
    try {
      const response = await fetch(url, { method: 'POST' });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        showError(body.error || 'the server answered ' + response.status);
      }
    } catch (e) {
      showError('cannot reach the server: is backprop serve still running?');
    }
  }

  function setPlaying(playing) {
    state.playing = playing;
    $('play').textContent = playing ? '❚❚ Pause' : '▶ Play';
    $('play').setAttribute('aria-pressed', String(playing));
  }

  function showError(message) {
    $('error').hidden = !message;
    $('error').textContent = message || '';
  }

  // ---------------------------------------------------------------------------------------------
  // Drawing a frame.

  function draw(frame) {
    drawHeat(frame);
    drawLoss();
    drawGradients();
    drawNetworkFrame(frame);
    const acc = (v) => (typeof v === 'number' ? (100 * v).toFixed(1) + ' %' : 'n/a');
    $('status').textContent = `step ${frame.step} · epoch ${fmt(frame.epoch, 3)} · train loss ${fmt(num(frame.trainLoss))} · test loss ${fmt(num(frame.testLoss))} · test accuracy ${acc(frame.testAccuracy)}`;
    $('status').dataset.step = String(frame.step);
    $('status').dataset.testLoss = String(frame.testLoss);
  }

  function drawHeat(frame) {
    const session = state.session;
    if (!session) return;
    const canvas = $('heat');
    const ctx = canvas.getContext('2d');
    const size = canvas.width;
    const grid = session.grid;
    const bytes = Uint8Array.from(atob(frame.heat), (c) => c.charCodeAt(0));
    const image = ctx.createImageData(grid, grid);
    for (let i = 0; i < bytes.length; i++) {
      const p = bytes[i] / 255;
      // Orange (class 0) through white to blue (class 1).
      const [r, g, b] = p < 0.5 ? mix([245, 158, 11], [255, 255, 255], p * 2) : mix([255, 255, 255], [37, 99, 235], (p - 0.5) * 2);
      image.data.set([r, g, b, 255], i * 4);
    }
    const off = document.createElement('canvas');
    off.width = grid;
    off.height = grid;
    off.getContext('2d').putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, size, size);

    const extent = session.extent;
    const px = (x) => ((x + extent) / (2 * extent)) * size;
    const py = (y) => ((extent - y) / (2 * extent)) * size;
    const point = (p, filled) => {
      ctx.beginPath();
      const x = px(p.x), y = py(p.y);
      if (p.label === 0) ctx.arc(x, y, 4.5, 0, 2 * Math.PI);
      else ctx.rect(x - 4, y - 4, 8, 8);
      ctx.fillStyle = p.label === 0 ? '#c2410c' : '#1e40af';
      ctx.strokeStyle = p.label === 0 ? '#7c2d12' : '#1e3a8a';
      ctx.lineWidth = filled ? 1 : 2;
      if (filled) ctx.fill();
      ctx.stroke();
    };
    for (const p of session.train) point(p, true);
    for (const p of session.test) point(p, false);
  }

  function mix(a, b, t) {
    return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
  }

  /** A line chart of series (each { values, cls, label }) over the frames' steps; log scale on request. */
  function chart(svg, series, log, yLabel) {
    svg.textContent = '';
    const W = 420, H = Number(svg.getAttribute('viewBox').split(' ')[3]);
    const left = 46, right = 40, top = 10, bottom = 22;
    const steps = state.frames.map((f) => f.step);
    const all = series.flatMap((x) => x.values).filter((v) => Number.isFinite(v) && (!log || v > 0));
    if (steps.length < 1 || all.length < 1) {
      svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'Press Play or Step to train.'));
      return;
    }
    const t = (v) => (log ? Math.log10(v) : v);
    let lo = t(Math.min(...all)), hi = t(Math.max(...all));
    if (!log) lo = Math.min(0, lo);
    if (hi - lo < 1e-9) hi = lo + 1;
    const x0 = steps[0], x1 = Math.max(steps[steps.length - 1], x0 + 1);
    const X = (step) => left + ((step - x0) / (x1 - x0)) * (W - left - right);
    const Y = (v) => top + (1 - (t(v) - lo) / (hi - lo)) * (H - top - bottom);
    // Grid and labels.
    const ticks = log ? range(Math.floor(lo), Math.ceil(hi)) : [lo, (lo + hi) / 2, hi];
    for (const tick of ticks) {
      const y = top + (1 - (tick - lo) / (hi - lo)) * (H - top - bottom);
      if (y < top - 1 || y > H - bottom + 1) continue;
      svg.append(s('line', { x1: left, x2: W - right, y1: y, y2: y, class: 'grid' }));
      svg.append(s('text', { x: left - 4, y: y + 3, 'text-anchor': 'end' }, log ? `1e${tick}` : tick.toPrecision(2)));
    }
    svg.append(s('line', { x1: left, x2: left, y1: top, y2: H - bottom, class: 'axis' }));
    svg.append(s('line', { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, class: 'axis' }));
    svg.append(s('text', { x: left, y: H - 6 }, `step ${x0}`));
    svg.append(s('text', { x: W - right, y: H - 6, 'text-anchor': 'end' }, `step ${steps[steps.length - 1]}`));
    svg.append(s('text', { x: left + 4, y: top + 9 }, yLabel));
    const used = [];
    for (const line of series) {
      let d = '';
      line.values.forEach((v, i) => {
        if (!Number.isFinite(v) || (log && v <= 0)) return;
        d += (d ? ' L ' : 'M ') + X(steps[i]).toFixed(1) + ' ' + Y(v).toFixed(1);
      });
      if (!d) continue;
      const path = s('path', { d, class: line.cls });
      if (line.colour) path.setAttribute('stroke', line.colour);
      svg.append(path);
      const last = [...line.values].reverse().find((v) => Number.isFinite(v) && (!log || v > 0));
      if (line.label && last !== undefined) used.push({ y: Y(last) + 3, line });
    }
    // Labels at the lines' ends, top to bottom, moved apart where lines end close together.
    used.sort((a, b) => a.y - b.y);
    let previous = -Infinity;
    for (const { y, line } of used) {
      const ly = Math.max(y, previous + 10);
      previous = ly;
      const label = s('text', { x: W - right + 3, y: ly, class: 'layer-label' }, line.label);
      if (line.colour) label.setAttribute('fill', line.colour);
      svg.append(label);
    }
  }

  function range(a, b) {
    const out = [];
    for (let i = a; i <= b; i++) out.push(i);
    return out;
  }

  function drawLoss() {
    chart($('loss'), [
      { values: state.frames.map((f) => num(f.trainLoss)), cls: 'train', label: 'train' },
      { values: state.frames.map((f) => num(f.testLoss)), cls: 'test', label: 'test' },
    ], false, 'loss');
  }

  function drawGradients() {
    const frames = state.frames.filter((f) => f.step > 0);
    const layers = frames.length ? frames[0].gradientNorms.length : 0;
    const series = [];
    for (let l = 0; l < layers; l++) {
      series.push({ values: state.frames.map((f) => (f.step > 0 ? num(f.gradientNorms[l]) : NaN)), cls: 'layer', label: 'W' + (l + 1), colour: LAYER_COLOURS[l % LAYER_COLOURS.length] });
    }
    chart($('grads'), series, true, '‖∂L/∂W‖');
    const lesson = $('lesson');
    if (!frames.length) {
      lesson.textContent = '';
      return;
    }
    const last = frames[frames.length - 1].gradientNorms.map(num);
    const ratio = last[0] / last[last.length - 1];
    lesson.textContent = layers < 2 ? '' : `Now: ‖∂L/∂W1‖ is ${fmt(ratio, 2)} × ‖∂L/∂W${layers}‖.` +
      (ratio < 1e-2 ? ' It vanishes on its way back: ' + ({
        sigmoid: 'every sigmoid layer multiplies it by σ′(x) = σ(x)(1 − σ(x)) ≤ 0.25.',
        tanh: 'every tanh layer multiplies it by tanh′(x) = 1 − tanh²(x), far below 1 where units saturate.',
        relu: 'units whose input is negative (dead ReLUs) pass nothing back.',
      }[$('activation').value] || '') : '');
    lesson.dataset.ratio = String(ratio);
  }

  function drawNetworkFrame(frame) {
    const session = state.session;
    const svg = $('net');
    if (!session) return;
    svg.textContent = '';
    const sizes = session.sizes;
    const W = 900, H = 260;
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    const x = (l) => 40 + (l * (W - 80)) / (sizes.length - 1);
    const y = (l, i) => (H / 2) + (i - (sizes[l] - 1) / 2) * Math.min(22, (H - 40) / Math.max(1, sizes[l] - 1));
    if (frame && frame.weights.length === 0) {
      svg.append(s('text', { x: W / 2, y: 30, 'text-anchor': 'middle' }, 'Too many weights to draw: the edges are left out.'));
    }
    if (frame && frame.weights.length > 0) {
      const biggest = Math.max(1e-9, ...frame.weights.flatMap((w) => w.map((v) => Math.abs(num(v))).filter(Number.isFinite)));
      frame.weights.forEach((w, l) => {
        const inputs = sizes[l], outputs = sizes[l + 1];
        for (let o = 0; o < outputs; o++) {
          for (let i = 0; i < inputs; i++) {
            const v = num(w[o * inputs + i]);
            if (!Number.isFinite(v)) continue;
            svg.append(s('line', {
              x1: x(l), y1: y(l, i), x2: x(l + 1), y2: y(l + 1, o),
              class: 'w ' + (v >= 0 ? 'pos' : 'neg'), 'stroke-width': (0.3 + 4.5 * Math.abs(v) / biggest).toFixed(2),
            }));
          }
        }
      });
    }
    sizes.forEach((n, l) => {
      for (let i = 0; i < n; i++) {
        svg.append(s('circle', { cx: x(l), cy: y(l, i), r: 6, class: 'unit' + (l === 0 ? ' input' : l === sizes.length - 1 ? ' output' : '') }));
      }
      const name = l === 0 ? 'input' : l === sizes.length - 1 ? 'output' : 'h' + l;
      if (l > 0) svg.append(s('text', { x: (x(l - 1) + x(l)) / 2, y: 14, 'text-anchor': 'middle' }, 'W' + l));
      svg.append(s('text', { x: x(l), y: H - 6, 'text-anchor': 'middle' }, name));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring.

  function setLarge(large) {
    state.large = large;
    document.documentElement.classList.toggle('large', large);
    $('large').setAttribute('aria-pressed', String(large));
    $('large').textContent = large ? 'Normal text' : 'Large text';
  }

  function lesson(changes) {
    writeConfig(Object.assign(readConfig(), changes));
    start();
  }

  document.addEventListener('DOMContentLoaded', () => {
    const { config, large, play } = configFromUrl();
    state.autoplay = play;
    writeConfig(config);
    setLarge(large);
    for (const f of FIELDS) $(f).addEventListener('change', start);
    $('noise').addEventListener('input', () => { $('noise-out').textContent = $('noise').value; });
    $('test').addEventListener('input', () => { $('test-out').textContent = $('test').value; });
    $('config').addEventListener('submit', (ev) => { ev.preventDefault(); start(); });
    $('play').addEventListener('click', () => {
      const playing = !state.playing;
      setPlaying(playing);
      command(playing ? 'play' : 'pause');
    });
    $('speed').addEventListener('change', () => { if (state.playing) command('play'); });
    $('step').addEventListener('click', () => { setPlaying(false); command('step'); });
    $('reset').addEventListener('click', start);
    $('large').addEventListener('click', () => { setLarge(!state.large); saveUrl(); });
    $('lesson-sigmoid').addEventListener('click', () => lesson({ data: 'circles', depth: '8', width: '8', activation: 'sigmoid', init: 'default', optimizer: 'sgd', lr: '0.1' }));
    $('lesson-relu').addEventListener('click', () => lesson({ data: 'circles', depth: '8', width: '8', activation: 'relu', init: 'he', optimizer: 'sgd', lr: '0.1' }));
    window.addEventListener('pagehide', stop);
    start();
  });
})();
