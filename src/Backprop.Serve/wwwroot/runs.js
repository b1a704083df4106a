// The runs page: lists the runs of `backprop train` in the server's runs folder (GET /api/runs) and
// draws one run (GET /api/runs/NAME): loss and accuracy per epoch, the gradient report, the
// settings. It polls both with If-None-Match, so an unchanged run costs a 304; a live run is polled
// every second. The URL holds the state: /runs?run=NAME (&large=1). Text only ever as text.
'use strict';

(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  // Each layer differs in colour, dash and marker, and is named at its line's end.
  const LAYER_STYLES = [
    { colour: '#1d4ed8', dash: '', marker: 'circle' },
    { colour: '#b45309', dash: '7 4', marker: 'square' },
    { colour: '#047857', dash: '2 3', marker: 'triangle' },
    { colour: '#7c3aed', dash: '10 3 2 3', marker: 'diamond' },
    { colour: '#be123c', dash: '4 2', marker: 'circle' },
    { colour: '#0e7490', dash: '1 2', marker: 'square' },
  ];
  const STATUS = { live: '● live', finished: '✓ finished', stopped: '■ stopped' };
  const state = { run: null, large: false, runEtag: null, listEtag: null, data: null, runTimer: 0, listTimer: 0, generation: 0 };

  function s(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function h(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const finite = (v) => typeof v === 'number' && Number.isFinite(v);
  const fmt = (v, digits = 4) => (finite(v) ? v.toPrecision(digits) : 'n/a');
  const pct = (v) => (finite(v) ? (100 * v).toFixed(1) + ' %' : 'n/a');

  // -------------------------------------------------------------------------------------------
  // URL state.

  function readUrl() {
    const q = new URLSearchParams(location.search);
    return { run: q.get('run'), large: q.get('large') === '1' };
  }

  function urlFor(run) {
    const q = new URLSearchParams();
    if (run) q.set('run', run);
    if (state.large) q.set('large', '1');
    const text = q.toString();
    return location.pathname + (text ? '?' + text : '');
  }

  // -------------------------------------------------------------------------------------------
  // Polling.

  async function getJson(url, etag) {
    const headers = etag ? { 'If-None-Match': etag } : {};
    const response = await fetch(url, { cache: 'no-store', headers });
    if (response.status === 304) return { unchanged: true };
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const message = body && body.error ? body.error : `the server answered ${response.status}`;
      return { error: message, status: response.status };
    }
    return { body, etag: response.headers.get('ETag') };
  }

  async function pollList() {
    clearTimeout(state.listTimer);
    try {
      const answer = await getJson('/api/runs', state.listEtag);
      if (answer.error) {
        showError(answer.error);
      } else if (!answer.unchanged) {
        state.listEtag = answer.etag;
        drawList(answer.body);
        if (!state.run && answer.body.length > 0) select(answer.body[0].name, false);
      }
    } catch (e) {
      showError('the server does not answer (stopped?); trying again');
    }
    state.listTimer = setTimeout(pollList, 3000);
  }

  async function pollRun() {
    clearTimeout(state.runTimer);
    const generation = state.generation;
    const run = state.run;
    if (!run) return;
    let live = false;
    try {
      const answer = await getJson('/api/runs/' + encodeURIComponent(run), state.runEtag);
      if (generation !== state.generation) return;
      if (answer.error) {
        $('run').hidden = true;
        showError(answer.error);
      } else {
        showError(null);
        if (!answer.unchanged) {
          state.runEtag = answer.etag;
          state.data = answer.body;
          drawRun(answer.body);
        } else if (state.data) {
          drawStatus(state.data);
        }
        live = state.data && state.data.status === 'live';
      }
    } catch (e) {
      if (generation !== state.generation) return;
      showError('the server does not answer (stopped?); trying again');
    }
    state.runTimer = setTimeout(pollRun, live ? 1000 : 5000);
  }

  function select(run, push) {
    state.run = run;
    state.runEtag = null;
    state.data = null;
    state.generation++;
    history[push ? 'pushState' : 'replaceState'](null, '', urlFor(run));
    markSelected();
    pollRun();
  }

  function showError(message) {
    const box = $('error');
    box.hidden = !message;
    box.textContent = message || '';
  }

  // -------------------------------------------------------------------------------------------
  // The list.

  function drawList(runs) {
    const body = $('runs').querySelector('tbody');
    body.textContent = '';
    $('runs-count').textContent = `(${runs.length})`;
    $('no-runs').hidden = runs.length > 0;
    for (const r of runs) {
      const row = h('tr', { 'data-run': r.name });
      const name = h('td');
      const link = h('a', { href: urlFor(r.name) }, r.name);
      link.addEventListener('click', (ev) => {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
        ev.preventDefault();
        select(r.name, true);
      });
      name.append(link);
      row.append(name);
      row.append(h('td', { class: 'n' }, r.plannedEpochs ? `${r.epochs} / ${r.plannedEpochs}` : String(r.epochs)));
      row.append(h('td', { class: 'n' }, pct(r.testAccuracy)));
      row.append(h('td', { class: 'status ' + r.status, title: r.problem || '' }, (STATUS[r.status] || r.status) + (r.problem ? ' ⚠' : '')));
      body.append(row);
    }
    markSelected();
  }

  function markSelected() {
    for (const row of $('runs').querySelectorAll('tbody tr')) {
      const selected = row.dataset.run === state.run;
      row.classList.toggle('selected', selected);
      const link = row.querySelector('a');
      if (selected) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    }
  }

  // -------------------------------------------------------------------------------------------
  // One run.

  function drawRun(run) {
    $('run').hidden = false;
    $('run-name').textContent = run.name;
    document.title = `Backprop · ${run.name}`;
    drawStatus(run);
    const problems = $('problems');
    problems.textContent = '';
    problems.hidden = run.problems.length === 0;
    for (const p of run.problems) problems.append(h('div', {}, p));

    const epochs = run.epochs.map((e) => e.epoch);
    chart($('loss'), epochs, [
      { name: 'train', values: run.epochs.map((e) => e.trainLoss), cls: 'train', marker: 'circle', label: 'train loss' },
      { name: 'test', values: run.epochs.map((e) => e.testLoss), cls: 'test', marker: 'square', label: 'test loss' },
    ], { yLabel: 'loss', zero: true });
    chart($('accuracy'), epochs, [
      { name: 'acc', values: run.epochs.map((e) => e.testAccuracy), cls: 'acc', marker: 'triangle', label: 'test accuracy' },
    ], { yLabel: 'test accuracy', percent: true });
    drawGradients(run);
    drawSettings(run);
    drawEpochs(run);
  }

  function drawStatus(run) {
    const done = run.epochs.length;
    const of = run.plannedEpochs ? ` of ${run.plannedEpochs}` : '';
    const last = run.epochs[done - 1];
    const ago = Math.max(0, Math.round((Date.now() - Date.parse(run.modified)) / 1000));
    const when = ago < 120 ? `${ago} s ago` : ago < 7200 ? `${Math.round(ago / 60)} min ago` : new Date(run.modified).toLocaleString();
    const parts = [`${STATUS[run.status] || run.status}`, `epoch ${done}${of}`];
    if (last) parts.push(`test accuracy ${pct(last.testAccuracy)}`, `test loss ${fmt(last.testLoss)}`);
    parts.push(`last written ${when}`);
    if (run.status === 'stopped') parts.push('no new epoch for a while and no model: interrupted (continue with ./backprop train --resume FOLDER/checkpoint.safetensors) or failed');
    if (done === 0 && run.problems.length === 0) parts.push('the first epoch is not written yet');
    $('run-status').textContent = parts.join(' · ');
  }

  function drawGradients(run) {
    const rows = run.gradients || [];
    const has = rows.length > 0;
    $('grads-figure').hidden = !has;
    $('grads-table').hidden = !has;
    $('no-grads').hidden = has || run.gradients !== null;
    if (!has) return;
    const epochs = [...new Set(rows.map((r) => r.epoch))].sort((a, b) => a - b);
    const layers = [...new Map(rows.map((r) => [r.layer, r])).values()].sort((a, b) => a.layer - b.layer);
    const series = layers.map((layer, i) => {
      const style = LAYER_STYLES[i % LAYER_STYLES.length];
      const byEpoch = new Map(rows.filter((r) => r.layer === layer.layer).map((r) => [r.epoch, r.gradNorm]));
      return { name: 'layer' + layer.layer, values: epochs.map((e) => byEpoch.get(e)), colour: style.colour, dash: style.dash, marker: style.marker, cls: 'layer', label: `layer ${layer.name} (${layer.activation})`, end: true };
    });
    chart($('grads'), epochs, series, { yLabel: '‖∂L/∂W‖', log: true, endLabels: true });

    const lastEpoch = epochs[epochs.length - 1];
    $('grads-epoch').textContent = `epoch ${lastEpoch}`;
    const body = $('grads-table').querySelector('tbody');
    body.textContent = '';
    for (const r of rows.filter((x) => x.epoch === lastEpoch).sort((a, b) => a.layer - b.layer)) {
      const row = h('tr');
      row.append(h('td', {}, `layer ${r.name}`), h('td', {}, r.activation), h('td', { class: 'n' }, fmt(r.gradNorm, 3)));
      const health = finite(r.saturated) ? `${pct(r.saturated)} saturated` : finite(r.dead) ? `${pct(r.dead)} dead` : '—';
      row.append(h('td', { class: 'n' }, health));
      body.append(row);
    }
  }

  function drawSettings(run) {
    const body = $('settings').querySelector('tbody');
    body.textContent = '';
    const settings = run.settings || [];
    if (!settings.length) {
      const row = h('tr');
      row.append(h('td', {}, 'unknown: the run has no checkpoint.safetensors yet'));
      body.append(row);
    }
    for (const x of settings) {
      const row = h('tr');
      row.append(h('td', {}, x.flag), h('td', { class: 'n' }, x.value));
      body.append(row);
    }
    const quote = (v) => (/^[\w.,:+=\/-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`);
    $('command').textContent = settings.length ? './backprop train ' + settings.map((x) => `${x.flag} ${quote(x.value)}`).join(' ') + (run.gradients ? ' --grad-report' : '') : '';
  }

  function drawEpochs(run) {
    const body = $('epochs').querySelector('tbody');
    body.textContent = '';
    for (const e of run.epochs) {
      const row = h('tr');
      row.append(h('td', { class: 'n' }, String(e.epoch)), h('td', { class: 'n' }, fmt(e.trainLoss)), h('td', { class: 'n' }, fmt(e.testLoss)),
        h('td', { class: 'n' }, pct(e.testAccuracy)), h('td', { class: 'n' }, finite(e.seconds) ? e.seconds.toFixed(2) : 'n/a'));
      body.append(row);
    }
  }

  // -------------------------------------------------------------------------------------------
  // A line chart over epochs: each series has a line style, a marker at every point (every k-th
  // when there are many) and a label, in a legend or at the line's end.

  function niceTicks(lo, hi, count) {
    const span = hi - lo;
    const step0 = Math.pow(10, Math.floor(Math.log10(span / count)));
    const step = [1, 2, 5, 10].map((m) => m * step0).find((st) => span / st <= count) || step0 * 10;
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
    return ticks;
  }

  function marker(kind, x, y, r, attrs) {
    switch (kind) {
      case 'square': return s('rect', Object.assign({ x: x - r, y: y - r, width: 2 * r, height: 2 * r }, attrs));
      case 'triangle': return s('path', Object.assign({ d: `M ${x} ${y - r * 1.2} L ${x + r * 1.1} ${y + r * 0.8} L ${x - r * 1.1} ${y + r * 0.8} Z` }, attrs));
      case 'diamond': return s('path', Object.assign({ d: `M ${x} ${y - r * 1.3} L ${x + r * 1.1} ${y} L ${x} ${y + r * 1.3} L ${x - r * 1.1} ${y} Z` }, attrs));
      default: return s('circle', Object.assign({ cx: x, cy: y, r }, attrs));
    }
  }

  function chart(svg, xs, series, options) {
    svg.textContent = '';
    const [, , W, H] = svg.getAttribute('viewBox').split(' ').map(Number);
    const large = state.large;
    const left = large ? 62 : 50, right = options.endLabels ? (large ? 150 : 118) : 14, top = large ? 34 : 28, bottom = large ? 34 : 28;
    const usable = (v) => finite(v) && (!options.log || v > 0);
    const all = series.flatMap((x) => x.values).filter(usable);
    svg.dataset.points = String(xs.length);
    if (xs.length === 0 || all.length === 0) {
      svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'No epoch written yet: the curve starts after the first epoch.'));
      return;
    }
    const t = (v) => (options.log ? Math.log10(v) : v);
    let lo = t(Math.min(...all)), hi = t(Math.max(...all));
    if (options.zero) lo = Math.min(0, lo);
    if (options.percent) { lo = Math.max(0, Math.min(lo, hi - 0.05)); hi = Math.min(1, Math.max(hi, lo + 0.05)); }
    if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
    if (options.log) { lo = Math.floor(lo); hi = Math.max(Math.ceil(hi), lo + 1); }
    const x0 = xs[0], x1 = Math.max(xs[xs.length - 1], x0 + 1);
    const X = (x) => left + ((x - x0) / (x1 - x0)) * (W - left - right);
    const Y = (v) => top + (1 - (t(v) - lo) / (hi - lo)) * (H - top - bottom);
    const YT = (tv) => top + (1 - (tv - lo) / (hi - lo)) * (H - top - bottom);

    const yTicks = options.log ? range(lo, hi) : niceTicks(lo, hi, 4);
    if (!options.log && yTicks.length > 1) {
      // The axis ends at labelled ticks below the lowest point and above the highest.
      const step = yTicks[1] - yTicks[0];
      if (yTicks[0] > lo + 1e-12) yTicks.unshift(Number((yTicks[0] - step).toPrecision(12)));
      lo = yTicks[0];
      if (yTicks[yTicks.length - 1] < hi - 1e-12) yTicks.push(Number((yTicks[yTicks.length - 1] + step).toPrecision(12)));
      hi = yTicks[yTicks.length - 1];
    }
    for (const tick of yTicks) {
      const y = YT(tick);
      if (y < top - 1 || y > H - bottom + 1) continue;
      svg.append(s('line', { x1: left, x2: W - right, y1: y, y2: y, class: 'grid' }));
      const label = options.log ? `1e${tick}` : options.percent ? `${Math.round(tick * 1000) / 10}%` : String(tick);
      svg.append(s('text', { x: left - 4, y: y + 3, 'text-anchor': 'end' }, label));
    }
    const xTicks = niceTicks(x0, x1, 6).filter((x) => Number.isInteger(x));
    for (const x of xTicks) {
      svg.append(s('line', { x1: X(x), x2: X(x), y1: H - bottom, y2: H - bottom + 4, class: 'axis' }));
      svg.append(s('text', { x: X(x), y: H - bottom + 14, 'text-anchor': 'middle' }, String(x)));
    }
    svg.append(s('line', { x1: left, x2: left, y1: top, y2: H - bottom, class: 'axis' }));
    svg.append(s('line', { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, class: 'axis' }));
    svg.append(s('text', { x: W - right, y: H - 4, 'text-anchor': 'end' }, 'epoch'));
    svg.append(s('text', { x: 4, y: 12 }, options.yLabel));

    const every = Math.max(1, Math.ceil(xs.length / 40));
    const r = large ? 4.5 : 3.5;
    const ends = [];
    series.forEach((line) => {
      const group = s('g', { class: 'series series-' + line.name });
      let d = '';
      line.values.forEach((v, i) => {
        if (!usable(v)) return;
        d += (d ? ' L ' : 'M ') + X(xs[i]).toFixed(1) + ' ' + Y(v).toFixed(1);
      });
      const path = s('path', { d, class: line.cls });
      if (line.colour) path.setAttribute('stroke', line.colour);
      if (line.dash !== undefined) path.setAttribute('stroke-dasharray', line.dash || 'none');
      group.append(path);
      line.values.forEach((v, i) => {
        if (!usable(v) || (i % every !== 0 && i !== xs.length - 1)) return;
        const m = marker(line.marker, X(xs[i]), Y(v), r, { class: 'pt pt-' + line.cls });
        if (line.colour) m.setAttribute('fill', line.colour);
        m.append(s('title', {}, `${line.label}, epoch ${xs[i]}: ${options.percent ? pct(v) : fmt(v)}`));
        group.append(m);
      });
      svg.append(group);
      const lastIndex = line.values.map(usable).lastIndexOf(true);
      if (lastIndex >= 0) ends.push({ y: Y(line.values[lastIndex]) + 3, line });
    });

    if (options.endLabels) {
      ends.sort((a, b) => a.y - b.y);
      let previous = -Infinity;
      for (const { y, line } of ends) {
        const ly = Math.max(y, previous + (large ? 15 : 11));
        previous = ly;
        const label = s('text', { x: W - right + 6, y: ly, class: 'layer-label' }, line.label);
        if (line.colour) label.setAttribute('fill', line.colour);
        svg.append(label);
      }
    } else {
      // A legend above the plot: a short stretch of each line with its marker, and its name.
      const charWidth = large ? 8.5 : 6.2;
      let x = Math.max(left + 8, 4 + options.yLabel.length * charWidth + 24);
      for (const line of series) {
        const y = top - 14;
        svg.append(s('path', { d: `M ${x} ${y} L ${x + 26} ${y}`, class: line.cls }));
        svg.append(marker(line.marker, x + 13, y, r, { class: 'pt pt-' + line.cls }));
        const text = s('text', { x: x + 32, y: y + 4, class: 'legend-text' }, line.label);
        svg.append(text);
        x += 40 + line.label.length * charWidth;
      }
    }
  }

  function range(a, b) {
    const out = [];
    for (let i = a; i <= b; i++) out.push(i);
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Wiring.

  function setLarge(large) {
    state.large = large;
    document.documentElement.classList.toggle('large', large);
    $('large').setAttribute('aria-pressed', String(large));
    $('large').textContent = large ? 'Normal text' : 'Large text';
    if (state.data) drawRun(state.data);
  }

  document.addEventListener('DOMContentLoaded', () => {
    const { run, large } = readUrl();
    setLarge(large);
    $('large').addEventListener('click', () => {
      setLarge(!state.large);
      history.replaceState(null, '', urlFor(state.run));
    });
    window.addEventListener('popstate', () => {
      const now = readUrl();
      if (now.run && now.run !== state.run) select(now.run, false);
    });
    if (run) select(run, false);
    pollList();
  });
})();
