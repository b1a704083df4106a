// The explainer page: asks /api/explain for a program's explanation (computed by the library that
// `backprop explain` uses) and walks it step by step on an SVG drawing of the graph.
// Plain JavaScript, no framework, no build step. Text from the user or the server is only ever
// inserted as text (textContent, createTextNode), never parsed as HTML.
'use strict';

(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const LINE = 15;        // the layout's line height (LayeredLayout.LineHeight)
  const PAD = 8;          // the layout's padding inside a box (LayeredLayout.Padding)
  const API_FIELDS = ['program', 'example', 'at', 'target', 'loss', 'lr'];

  const $ = (id) => document.getElementById(id);
  const state = { data: null, step: 0, large: false, nodes: [], edges: [], request: null, loading: 0 };

  // ---------------------------------------------------------------------------------------------
  // DOM helpers: elements are built from text only.

  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    setAttrs(e, attrs);
    append(e, children);
    return e;
  }

  function s(tag, attrs, ...children) {
    const e = document.createElementNS(SVG, tag);
    setAttrs(e, attrs);
    append(e, children);
    return e;
  }

  function setAttrs(e, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      e.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function append(e, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }

  const math = (text) => h('span', { class: 'math' }, text);
  const isMatrix = () => !!state.data && state.data.form === 'matrix';
  const num = (n) => h('span', { class: 'num' }, n ? n.text : 'n/a');

  // ---------------------------------------------------------------------------------------------
  // URL state: every state of the page is a link (program or example, values, options, step, text size).

  function readUrl() {
    const q = new URLSearchParams(location.search);
    const request = {};
    for (const f of API_FIELDS) {
      const v = q.get(f);
      if (v !== null && v !== '') request[f] = v;
    }
    const step = parseInt(q.get('step') || '0', 10);
    return { request, step: Number.isFinite(step) && step >= 0 ? step : 0, large: q.get('large') === '1' };
  }

  function urlFor(request, step, large) {
    const q = new URLSearchParams();
    for (const f of API_FIELDS) if (request[f] !== undefined && request[f] !== '') q.set(f, request[f]);
    if (step > 0) q.set('step', String(step));
    if (large) q.set('large', '1');
    const text = q.toString();
    return location.pathname + (text ? '?' + text : '');
  }

  // Browsers refuse to replace the URL more than a few hundred times in ten seconds (a key held
  // down steps 30 times a second): at most one replacement per 200 ms, and always the last one.
  let saveTimer = 0;
  let lastSave = 0;

  function saveStep() {
    if (!state.request) return;
    const write = () => {
      saveTimer = 0;
      lastSave = performance.now();
      history.replaceState(null, '', urlFor(state.request, state.step, state.large));
    };
    if (saveTimer) return;
    const wait = 200 - (performance.now() - lastSave);
    if (wait <= 0) write();
    else saveTimer = setTimeout(write, wait);
  }

  // ---------------------------------------------------------------------------------------------
  // Loading an explanation.

  async function load(request, step, push) {
    const ticket = ++state.loading;
    state.request = request;
    if (push) history.pushState(null, '', urlFor(request, step, state.large));
    fillForm(request);
    showError(null);
    $('run').disabled = true;
    try {
      const q = new URLSearchParams();
      for (const f of API_FIELDS) if (request[f] !== undefined) q.set(f, request[f]);
      let response;
      try {
        response = await fetch('/api/explain?' + q.toString(), { headers: { Accept: 'application/json' } });
      } catch (e) {
        throw new Error('cannot reach the server: is backprop serve still running?');
      }
      let body = null;
      try { body = await response.json(); } catch (e) { body = null; }
      if (!response.ok) {
        const error = new Error(body && body.error ? body.error : 'the server answered ' + response.status);
        if (body && body.line > 0 && request.program) error.where = { line: body.line, column: body.column, program: request.program };
        throw error;
      }
      if (ticket !== state.loading) return;
      show(body, step);
    } catch (e) {
      if (ticket !== state.loading) return;
      showError(e.message, e.where);
    } finally {
      if (ticket === state.loading) $('run').disabled = false;
    }
  }

  /** Shows an error; for one at a place in the program, the line with a caret under the column. */
  function showError(message, where) {
    const box = $('error');
    box.hidden = !message;
    box.textContent = message ? 'Error: ' + message : '';
    if (!message) return;
    $('explainer').hidden = true;
    if (where) {
      const line = where.program.split(/\r?\n/)[where.line - 1];
      if (line !== undefined && where.column <= line.length + 1) {
        box.append(h('span', { class: 'caret' }, '\n' + line + '\n' + ' '.repeat(where.column - 1) + '^'));
      }
    }
  }

  function fillForm(request) {
    $('example').value = request.example || '';
    if (!request.example) {
      $('program').value = request.program || '';
      $('at').value = request.at || '';
      $('target').value = request.target || '';
      $('loss').value = request.loss === 'difference' ? 'difference' : 'squared';
    }
    $('lr').value = request.lr || '';
  }

  function formRequest() {
    const data = state.data;
    const example = $('example').value;
    const program = $('program').value;
    const at = $('at').value.trim();
    const target = $('target').value.trim();
    const loss = $('loss').value;
    const lr = $('lr').value.trim();
    // An example whose program and values are untouched stays an example (a shorter link).
    if (example && data && data.example && data.example.name === example && program === data.program && at === data.at
        && target === (data.options.target === null ? '' : String(data.options.target))
        && loss === data.options.loss) {
      const request = { example };
      const shown = data.options.learningRate === null ? '' : String(data.options.learningRate);
      if (lr !== shown) request.lr = lr;
      else if (state.request && state.request.lr) request.lr = state.request.lr;
      return request;
    }
    const request = { program };
    if (at) request.at = at;
    if (target) { request.target = target; if (loss !== 'squared') request.loss = loss; }
    if (lr) request.lr = lr;
    return request;
  }

  // ---------------------------------------------------------------------------------------------
  // Drawing the graph once per explanation; each step only changes classes and texts.

  function show(data, step) {
    state.data = data;
    // The form shows the program and values actually explained (an example's too), so they can be edited.
    $('example').value = data.example ? data.example.name : '';
    $('program').value = data.program;
    $('at').value = data.at;
    $('target').value = data.options.target === null ? '' : String(data.options.target);
    $('loss').value = data.options.loss;
    $('lr').value = data.options.learningRate === null ? '' : String(data.options.learningRate);

    const about = $('about');
    about.textContent = '';
    if (data.example) {
      append(about, [h('strong', {}, 'Example ' + data.example.name + ': ' + data.example.title + '.')]);
      if (data.example.rows > 0) {
        append(about, [' Shown: the first of the ' + data.example.rows + ' rows of its data set; ',
          h('code', {}, 'backprop explain --example ' + data.example.name), ' also trains on all of them.']);
      }
    } else {
      about.append('Program with output ', math(data.outputName), '.');
    }
    if (isMatrix()) about.append(' Matrix form: every node holds a scalar, vector or matrix, shown with its shape; δ_u = ∂' + data.outputName + '/∂u has u’s shape.');

    $('explainer').hidden = false;
    drawGraph(data);
    drawLegend();
    const slider = $('slider');
    slider.max = String(data.steps.length - 1);
    go(Math.min(step, data.steps.length - 1), false);
  }

  function drawGraph(data) {
    const host = $('graph');
    host.textContent = '';
    const svg = s('svg', { viewBox: `0 0 ${data.width} ${data.height}`, class: 'graph-svg' });
    const defs = s('defs', {},
      s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' },
        s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' })),
      s('marker', { id: 'arrow-hot', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' },
        s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead-hot' })));
    svg.append(defs);
    const edgeLayer = s('g', { class: 'edges' });
    const nodeLayer = s('g', { class: 'nodes' });
    const labelLayer = s('g', { class: 'labels' });
    svg.append(edgeLayer, nodeLayer, labelLayer);

    const seen = new Map();
    state.edges = data.edges.map((edge) => {
      // Edges with the same two ends (x·x uses x twice) lie on each other: their badges are stacked.
      const key = edge.from + '>' + edge.to;
      const twin = seen.get(key) || 0;
      seen.set(key, twin + 1);
      const p = edge.points;
      let d = `M ${p[0][0]} ${p[0][1]}`;
      for (let i = 1; i < p.length; i++) {
        const mid = (p[i - 1][0] + p[i][0]) / 2;
        d += ` C ${mid} ${p[i - 1][1]} ${mid} ${p[i][1]} ${p[i][0]} ${p[i][1]}`;
      }
      const path = s('path', { d, class: 'edge', 'marker-end': 'url(#arrow)' });
      edgeLayer.append(path);
      // A numbered badge on the edge, shown while the backward pass pushes a product along it:
      // the number is the product's place in the list beside the graph.
      const bx = edge.label[0];
      const by = edge.label[1] + twin * 20;
      const label = s('text', { x: bx, y: by + 4, class: 'badge-text', 'text-anchor': 'middle' });
      const badge = s('g', { class: 'badge' }, s('circle', { cx: bx, cy: by, r: 9 }), label);
      labelLayer.append(badge);
      return { edge, path, label, badge };
    });

    const y = data.outputName;
    state.nodes = data.nodes.map((node) => {
      if (!node.box) return null;
      const b = node.box;
      const g = s('g', { class: 'node kind-' + node.kind + (node.isOutput ? ' output' : ''), 'data-name': node.name, 'data-index': node.index });
      const ring = s('rect', { class: 'ring', x: b.x - 5, y: b.y - 5, width: b.width + 10, height: b.height + 10, rx: 8 });
      const rect = s('rect', { class: 'box', x: b.x, y: b.y, width: b.width, height: b.height, rx: node.kind === 'operation' ? 4 : 12 });
      g.append(ring, rect);
      if (node.isOutput) g.append(s('rect', { class: 'inner', x: b.x + 3, y: b.y + 3, width: b.width - 6, height: b.height - 6, rx: 3 }));
      const text = s('text', { class: 'label' });
      const x = b.x + PAD;
      let line = 0;
      const tspan = (cls) => {
        const t = s('tspan', { x, y: b.y + PAD / 2 + LINE - 3 + line * LINE, class: cls });
        line++;
        text.append(t);
        return t;
      };
      const matrix = isMatrix();
      tspan('title').textContent = matrix ? `${node.name} (${node.value.shapeText})` : node.name;
      if (node.kind === 'operation') tspan('formula').textContent = '= ' + node.formula;
      // The matrix form shows a matrix one row per line, its value and its gradient alike.
      const rows = matrix ? node.value.lines.length : 1;
      const values = Array.from({ length: rows }, () => tspan('value'));
      const grads = matrix ? (node.gradient ? node.gradient.lines.map(() => tspan('grad')) : []) : node.requiresGrad ? [tspan('grad')] : [];
      const value = values[0];
      const grad = grads.length ? grads[0] : null;
      g.append(text);
      const title = s('title');
      g.append(title);
      nodeLayer.append(g);
      return { node, g, value, grad, values, grads, title, y };
    });
    host.append(svg);
    state.svg = svg;
    scaleGraph();
  }

  /** Pixels per layout unit: a small graph is drawn larger (up to 1.6×) to fill its pane, and large text adds half. */
  function graphScale() {
    if (!state.data) return 1;
    const room = Math.max(200, $('graph').clientWidth - 4) / state.data.width;
    return Math.min(1.6, Math.max(1, room)) * (state.large ? 1.5 : 1);
  }

  function scaleGraph() {
    if (!state.svg || !state.data) return;
    const scale = graphScale();
    state.svg.setAttribute('width', String(Math.ceil(state.data.width * scale)));
    state.svg.setAttribute('height', String(Math.ceil(state.data.height * scale)));
  }

  function drawLegend() {
    const legend = $('legend');
    legend.textContent = '';
    const item = (cls, text) => h('span', { class: 'item' }, h('span', { class: 'swatch ' + cls }), text);
    append(legend, [
      item('kind-input', 'input (rounded)'),
      item('kind-constant', 'constant (rounded, grey)'),
      item('kind-operation', 'operation (square corners)'),
      item('output', 'output (double border)'),
      item('current', 'current step (thick ring)'),
      item('feeding', 'read by the current step (blue)'),
      item('receiving', 'receives a gradient now (blue, dashed)'),
      item('pending', 'not computed yet (faded, value ?)'),
    ]);
  }

  // ---------------------------------------------------------------------------------------------
  // Stepping.

  function go(step, save = true) {
    const data = state.data;
    if (!data) return;
    state.step = Math.max(0, Math.min(step, data.steps.length - 1));
    render();
    if (save) saveStep();
  }

  /** Per node: its gradient at the current step: { text, complete } or null, from the steps taken so far. */
  function gradientsAt(stepIndex) {
    const data = state.data;
    const result = new Map();
    for (let i = 0; i <= stepIndex; i++) {
      const step = data.steps[i];
      if (step.phase === 'seed') result.set(step.node, { text: step.upstream.text, value: step.upstream, complete: true });
      if (step.phase !== 'backward') continue;
      for (const c of step.contributions) result.set(c.input, { text: c.after.text, value: c.after, complete: c.use === c.uses });
    }
    return result;
  }

  /** The matrix form's box lines: the first after its label, the others indented under it; lines left over are emptied. */
  function setLines(tspans, label, lines) {
    tspans.forEach((t, i) => setText(t, i < lines.length ? (i === 0 ? label : ' '.repeat(label.length)) + lines[i] : ''));
  }

  /** Sets an element's text only when it changes: a step touches a few nodes, and rewriting every node's text would lay out the whole graph again. */
  function setText(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  function render() {
    const data = state.data;
    const step = data.steps[state.step];
    const gradients = gradientsAt(state.step);
    const backward = step.phase === 'backward';
    const receiving = new Set(backward ? step.contributions.map((c) => c.input) : []);
    const feeding = new Set(step.phase === 'forward' ? data.nodes[step.node].inputs : []);

    for (const v of state.nodes) {
      if (!v) continue;
      const n = v.node;
      const computed = n.kind !== 'operation' || (step.phase !== 'start' && (step.phase !== 'forward' || n.forwardStep <= state.step));
      v.g.classList.toggle('pending', !computed);
      v.g.classList.toggle('current', step.node === n.index && step.phase !== 'start' && step.phase !== 'done');
      v.g.classList.toggle('receiving', receiving.has(n.index));
      v.g.classList.toggle('feeding', feeding.has(n.index));
      const g = gradients.get(n.index);
      if (isMatrix()) {
        setLines(v.values, 'value ', computed ? n.value.lines : ['?']);
        setLines(v.grads, !g ? '' : `∂${v.y}/∂${n.name} ${g.complete ? '=' : 'so far'} `, g ? g.value.lines : []);
        for (const t of v.grads) t.classList.toggle('partial', !!g && !g.complete);
      } else {
        setText(v.value, 'value ' + (computed ? n.value.text : '?'));
        if (v.grad) {
          setText(v.grad, !g ? '' : g.complete ? `∂${v.y}/∂${n.name} = ${g.text}` : `∂${v.y}/∂${n.name} so far ${g.text}`);
          v.grad.classList.toggle('partial', !!g && !g.complete);
        }
      }
      v.g.classList.toggle('has-grad', !!g && g.complete);
      setText(v.title, `${n.name}${n.kind === 'operation' ? ' = ' + n.formula : ' (' + n.kind + ')'}` +
        (computed ? `\nvalue ${n.value.text}` : '') + (g ? `\n∂${v.y}/∂${n.name} ${g.complete ? '=' : 'so far'} ${g.text}` : ''));
    }

    for (const e of state.edges) {
      const hot = backward && e.edge.to === step.node;
      const fwd = step.phase === 'forward' && e.edge.to === step.node;
      e.path.classList.toggle('hot', hot);
      e.path.classList.toggle('fwd', fwd);
      const marker = hot || fwd ? 'url(#arrow-hot)' : 'url(#arrow)';
      if (e.path.getAttribute('marker-end') !== marker) e.path.setAttribute('marker-end', marker);
      const k = hot ? step.contributions.findIndex((x) => x.inputIndex === e.edge.inputIndex) : -1;
      setText(e.label, k >= 0 ? String(k + 1) : '');
      e.badge.classList.toggle('shown', k >= 0);
    }

    // Controls.
    $('slider').value = String(state.step);
    $('first').disabled = $('prev').disabled = state.step === 0;
    $('next').disabled = $('last').disabled = state.step === data.steps.length - 1;
    $('position').textContent = `Step ${state.step} of ${data.steps.length - 1}: ${phaseName(step)}`;

    renderPanel(step, gradients);
    if (step.node !== null && step.node !== undefined) scrollToStep(step);
  }

  function phaseName(step) {
    const data = state.data;
    const node = step.node === null ? null : data.nodes[step.node];
    switch (step.phase) {
      case 'start': return 'start';
      case 'forward': {
        const all = data.steps.filter((x) => x.phase === 'forward');
        return `forward pass ${all.indexOf(step) + 1} of ${all.length}, ${node.name}`;
      }
      case 'seed': return `backward pass begins at ${node.name}`;
      case 'backward': {
        const all = data.steps.filter((x) => x.phase === 'backward');
        return `backward pass ${all.indexOf(step) + 1} of ${all.length}, ${node.name}`;
      }
      default: return 'gradients and one gradient-descent step';
    }
  }

  /** Scrolls the graph so that the current node and the nodes it reads or feeds are in view (the current one at least). */
  function scrollToStep(step) {
    const data = state.data;
    const related = step.phase === 'backward' ? step.contributions.map((c) => c.input)
      : step.phase === 'forward' ? data.nodes[step.node].inputs : [];
    const boxes = [step.node, ...related].map((i) => data.nodes[i].box).filter((b) => b);
    if (!boxes.length) return;
    const host = $('graph');
    const scale = graphScale();
    const margin = 24;
    const around = (list) => ({
      left: Math.min(...list.map((b) => b.x)) * scale - margin,
      right: Math.max(...list.map((b) => b.x + b.width)) * scale + margin,
      top: Math.min(...list.map((b) => b.y)) * scale - margin,
      bottom: Math.max(...list.map((b) => b.y + b.height)) * scale + margin,
    });
    const all = around(boxes);
    const current = around(boxes.slice(0, 1));
    const inView = all.left >= host.scrollLeft && all.right <= host.scrollLeft + host.clientWidth
      && all.top >= host.scrollTop && all.bottom <= host.scrollTop + host.clientHeight;
    if (inView) return;
    // The nodes a step reads lie to the left of it: when they do not all fit, the current node goes
    // to the right edge, showing as many of them as there is room for.
    const left = all.right - all.left <= host.clientWidth
      ? (all.left + all.right) / 2 - host.clientWidth / 2
      : current.right - host.clientWidth;
    const r = all.bottom - all.top <= host.clientHeight ? all : current;
    host.scrollTo({ left: Math.max(0, left), top: Math.max(0, (r.top + r.bottom) / 2 - host.clientHeight / 2) });
  }

  // ---------------------------------------------------------------------------------------------
  // The panel beside the graph: what the current step computes, with every number.

  function renderPanel(step, gradients) {
    const panel = $('panel');
    panel.textContent = '';
    panel.dataset.phase = step.phase;
    if (isMatrix()) {
      renderMatrixPanel(panel, step);
      return;
    }
    const data = state.data;
    const y = data.outputName;
    const node = step.node === null ? null : data.nodes[step.node];
    const name = (i) => data.nodes[i].name;
    const partial = (of, wrt) => `∂${of}/∂${wrt}`;

    switch (step.phase) {
      case 'start': {
        panel.append(h('h2', {}, 'Forward pass'),
          h('p', {}, 'The inputs and constants have their values. Each forward step computes one node from nodes computed before it (topological order). Nodes not computed yet are faded and show value ?.'),
          h('p', {}, 'Every operation is a node; results the program does not name are called u1, u2, … Numbers written in the program appear inside the formulas that use them.'));
        const rows = data.nodes.filter((n) => n.box && n.kind !== 'operation')
          .map((n) => h('tr', {}, h('td', {}, math(n.name)), h('td', {}, n.kind), h('td', { class: 'n' }, num(n.value))));
        if (rows.length) panel.append(table(['node', 'kind', 'value'], rows));
        panel.append(h('p', { class: 'next-hint' }, 'Press → (or Next) to compute the first node.'));
        if (data.example) panel.append(expected(data.example));
        break;
      }
      case 'forward': {
        panel.append(h('h2', {}, 'Forward: compute ', math(node.name)));
        panel.append(h('p', { class: 'big' }, math(`${node.name} = ${node.formula}`)));
        const inputs = node.inputs.map((i) => data.nodes[i]).filter((n) => n.box);
        const unique = [...new Map(inputs.map((n) => [n.index, n])).values()];
        if (unique.length) {
          panel.append(h('p', {}, 'with ', unique.map((n, k) => [k ? ', ' : '', math(`${n.name} = ${n.value.text}`)]), ':'));
        }
        panel.append(h('p', { class: 'big result' }, math(`${node.name} = `), num(node.value)));
        if (node.isOutput) panel.append(h('p', {}, 'This is the output: the forward pass is complete.'));
        break;
      }
      case 'seed':
        panel.append(h('h2', {}, 'Backward pass: seed'),
          h('p', { class: 'big' }, math(`${partial(y, y)} = 1`)),
          h('p', {}, 'The backward pass starts at the output and visits the nodes in reverse topological order. When a node u is visited, every node that uses u has already been visited, so its upstream gradient ',
            math(partial(y, 'u')), ' is complete. It multiplies it by each local derivative ', math(partial('u', 'v')),
            ' and adds the product to the gradient of each input v.'));
        break;
      case 'backward':
        renderBackward(panel, step, node, gradients);
        break;
      default:
        renderDone(panel);
        break;
    }
  }

  function renderBackward(panel, step, node, gradients) {
    const data = state.data;
    const y = data.outputName;
    const u = node.name;
    panel.append(h('h2', {}, 'Backward: visit ', math(u)));
    panel.append(h('p', {}, math(`${u} = ${node.formula}`), ', upstream gradient ',
      h('span', { class: 'upstream' }, math(`∂${y}/∂${u} = `), num(step.upstream)),
      node.uses > 1 ? ` (the sum of ${node.uses} contributions, one per use of ${u})` : ''));

    const list = h('ol', { class: 'contributions' });
    for (const c of step.contributions) {
      const v = data.nodes[c.input].name;
      const complete = c.use === c.uses;
      list.append(h('li', { class: 'contribution', 'data-input': v },
        h('div', { class: 'into' }, 'into ', math(v), ':'),
        h('div', { class: 'formula' }, math(`∂${y}/∂${u} × ∂${u}/∂${v}`), ', where ', math(`∂${u}/∂${v} = ${c.localFormula}`)),
        h('div', { class: 'product' }, `${step.upstream.text} × ${c.local.text} = ${c.product.text}`),
        h('div', { class: 'accumulate' }, math(`∂${y}/∂${v}`), ': ',
          `${c.before.text} + ${c.product.text} = ${c.after.text}`,
          h('span', { class: complete ? 'tag complete' : 'tag partial' },
            complete ? (c.uses > 1 ? ` complete (${c.use} of ${c.uses} uses)` : ' complete') : ` ${c.use} of ${c.uses} uses so far`))));
    }
    if (step.contributions.length) panel.append(list);
    else panel.append(h('p', {}, 'None of its inputs needs a gradient.'));

    // Nodes used more than once: version A (sum over consumers) beside version B (accumulation).
    const shown = new Set();
    if (node.uses > 1) shown.add(node.index);
    for (const c of step.contributions) {
      const v = data.nodes[c.input];
      if (c.uses > 1 && c.use === c.uses && v.kind !== 'operation') shown.add(v.index);
    }
    for (const index of shown) panel.append(twoWays(index));
  }

  /** ∂y/∂v of a node used more than once, gathered two ways. */
  function twoWays(index) {
    const data = state.data;
    const y = data.outputName;
    const v = data.nodes[index];
    const sum = data.sums.find((x) => x.node === index);
    if (!sum) return h('div');
    const box = h('div', { class: 'two-ways', 'data-node': v.name });
    box.append(h('h3', {}, math(v.name), ` is used ${sum.terms.length} times: its gradient is a sum`));
    const a = h('div', { class: 'way' }, h('h4', {}, 'Version A: sum over consumers'));
    const terms = sum.terms.map((t) => `∂${y}/∂${data.nodes[t.consumer].name} · ∂${data.nodes[t.consumer].name}/∂${v.name}`);
    a.append(h('p', {}, math(`∂${y}/∂${v.name} = ${terms.join(' + ')}`)));
    a.append(h('p', { class: 'sum-a' }, '= ' + sum.terms.map((t) => `${t.consumerGradient.text} × ${t.local.text}`).join(' + ')));
    a.append(h('p', { class: 'sum-a' }, '= ' + sum.terms.map((t) => t.product.text).join(' + ') + ' = ' + sum.gradient.text));
    const b = h('div', { class: 'way' }, h('h4', {}, 'Version B: accumulate (this pass)'));
    const steps = h('ol', {});
    let before = '0';
    data.steps.forEach((st) => {
      if (st.phase !== 'backward') return;
      for (const c of st.contributions) {
        if (c.input !== index) continue;
        steps.append(h('li', {}, `step ${st.index}, from ${data.nodes[st.node].name}: ${c.before.text} + ${c.product.text} = ${c.after.text}`));
        before = c.after.text;
      }
    });
    b.append(steps);
    box.append(h('div', { class: 'ways' }, a, b));
    box.append(h('p', { class: 'verdict' }, sum.equalsVersionB
      ? `Both give ${sum.gradient.text}, to the last bit.`
      : `They differ: version A ${sum.gradient.text}, version B ${before}.`));
    return box;
  }

  function renderDone(panel) {
    const data = state.data;
    const y = data.outputName;
    panel.append(h('h2', {}, 'Gradients of ', math(y)));
    if (!data.gradients.length) {
      panel.append(h('p', {}, 'The program has no inputs.'));
    } else {
      panel.append(h('p', {}, 'Each gradient from the backward pass beside the central finite difference (f(x + h) − f(x − h)) / 2h, h = 1e-6·max(1, |x|).'));
      const rows = data.gradients.map((g) => h('tr', { 'data-input': g.name },
        h('td', {}, math(g.name)),
        h('td', { class: 'n' }, num(g.gradient)),
        h('td', { class: 'n' }, num(g.finiteDifference)),
        h('td', { class: 'n' }, g.relativeError.text),
        h('td', { class: g.agrees === true ? 'ok' : g.agrees === false ? 'bad' : '' },
          g.agrees === true ? '✓ agrees' : g.agrees === false ? '✗ differs' : 'not computed')));
      panel.append(table(['input x', `∂${y}/∂x`, 'finite difference', 'relative error', 'check'], rows));
    }
    for (const sum of data.sums) {
      if (data.nodes[sum.node].kind !== 'operation') panel.append(twoWays(sum.node));
    }
    renderDescent(panel);
    if (data.example) panel.append(expected(data.example));
  }

  function expected(example) {
    return h('p', { class: 'expected' }, h('strong', {}, 'The source material expects: '), example.expected);
  }

  /** The learning-rate form under the gradients: (re)loads the explanation with η and stays on the last step. */
  function stepForm(rate) {
    const form = h('form', { class: 'lr-form' });
    const input = h('input', { id: 'step-lr', inputmode: 'decimal', size: 8, value: rate || '0.1' });
    form.append(h('label', { for: 'step-lr' }, 'Learning rate η '), input, ' ', h('button', { type: 'submit' }, rate ? 'Step again with this η' : 'Take the step'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      $('lr').value = input.value.trim();
      const request = formRequest();
      load(request, state.data.steps.length - 1, true);
    });
    return form;
  }

  function renderDescent(panel) {
    const data = state.data;
    const d = data.descent;
    const y = data.outputName;
    panel.append(h('h2', {}, 'One gradient-descent step'));
    panel.append(stepForm(d && d.learningRate ? d.learningRate.text : null));
    if (!d || !d.learningRate) {
      panel.append(h('p', {}, 'Choose η and take a step: every input w moves to w − η·∂L/∂w.'));
      return;
    }
    const l = d.name;
    if (d.hasTarget) {
      // As explain prints it: a constant derivative (T − y gives −1) is not repeated as a number.
      const constant = data.options.loss === 'difference';
      panel.append(h('p', {}, 'Loss ', math(`${l} = ${d.formula}`), ' = ', num(d.value), ', ',
        math(`∂${l}/∂${y} = ${d.outputGradientFormula}`), constant ? '' : ' = ', constant ? '' : num(d.outputGradient), ', so ',
        math(`∂${l}/∂w = ∂${l}/∂${y} · ∂${y}/∂w`), '.'));
    } else {
      panel.append(h('p', {}, 'No target: the step lowers the output ', math(y), ' = ', num(d.value), ' itself.'));
    }
    panel.append(h('p', {}, 'Update ', math(`w ← w − η·∂${l}/∂w`), ' with ', math(`η = ${d.learningRate.text}`), ':'));
    const rows = d.updates.map((u) => h('tr', { 'data-input': u.name },
      h('td', {}, math(u.name)), h('td', { class: 'n' }, num(u.value)), h('td', { class: 'n' }, num(u.lossGradient)), h('td', { class: 'n' }, num(u.newValue))));
    panel.append(table(['input w', 'value', `∂${l}/∂w`, 'new value'], rows));
    const after = h('p', { class: 'big result after' }, 'After the step: ', math(`${y} = `), num(d.outputAfter));
    if (d.hasTarget) after.append(', ', math(`${l} = `), num(d.valueAfter));
    after.append(` (was ${d.value.text})`);
    panel.append(after);
  }

  // ---------------------------------------------------------------------------------------------
  // The matrix form: the same steps, with values and δs shown as grids with their shapes. Every
  // number, rule and rule value comes from the server (the library's MatrixExplanation).

  /** A value as a grid: a matrix as rows and columns, a vector as a column (as in W @ x), a scalar as a number. */
  function grid(value, cls) {
    if (!value) return h('span', { class: 'num' }, 'n/a');
    if (value.shape.length === 0) return h('span', { class: 'num' + (cls ? ' ' + cls : '') }, value.entries[0]);
    const rows = value.shape[0];
    const columns = value.shape.length === 2 ? value.shape[1] : 1;
    const body = h('tbody');
    for (let r = 0; r < rows; r++) {
      const tr = h('tr');
      for (let c = 0; c < columns; c++) tr.append(h('td', {}, value.entries[r * columns + c]));
      body.append(tr);
    }
    return h('table', { class: 'grid' + (cls ? ' ' + cls : ''), 'data-shape': value.shapeText, title: value.shapeText + ': ' + value.text }, body);
  }

  /** "name (shape) = grid", the grid beside its label. */
  function named(label, value, cls) {
    return h('div', { class: 'named' }, h('span', { class: 'math' }, label), h('span', { class: 'eq' }, '='), grid(value, cls));
  }

  function shapeOf(node) {
    return node.value.shapeText;
  }

  function renderMatrixPanel(panel, step) {
    const data = state.data;
    const y = data.outputName;
    const node = step.node === null ? null : data.nodes[step.node];
    switch (step.phase) {
      case 'start': {
        panel.append(h('h2', {}, 'Forward pass (matrix form)'),
          h('p', {}, 'The inputs and constants have their values: scalars, vectors (a vector is a column in W @ x) and matrices (rows × columns). Each forward step computes one node from nodes computed before it. Nodes not computed yet are faded and show value ?.'));
        const rows = data.nodes.filter((n) => n.box && n.kind !== 'operation')
          .map((n) => h('tr', { 'data-node': n.name }, h('td', {}, math(n.name)), h('td', {}, n.kind), h('td', {}, shapeOf(n)), h('td', {}, grid(n.value))));
        if (rows.length) panel.append(table(['node', 'kind', 'shape', 'value'], rows));
        panel.append(h('p', { class: 'next-hint' }, 'Press → (or Next) to compute the first node.'));
        if (data.example) panel.append(expected(data.example));
        break;
      }
      case 'forward': {
        panel.append(h('h2', {}, 'Forward: compute ', math(`${node.name} (${shapeOf(node)})`)));
        panel.append(h('p', { class: 'big' }, math(`${node.name} = ${node.formula}`)));
        const inputs = [...new Map(node.inputs.map((i) => [i, data.nodes[i]])).values()];
        if (inputs.length) {
          panel.append(h('p', {}, 'with'), h('div', { class: 'operands' }, inputs.map((n) => named(`${n.name} (${shapeOf(n)})`, n.value))));
        }
        panel.append(h('div', { class: 'big result' }, named(`${node.name} (${shapeOf(node)})`, node.value)));
        if (node.isOutput) panel.append(h('p', {}, 'This is the output: the forward pass is complete.'));
        break;
      }
      case 'seed':
        panel.append(h('h2', {}, 'Backward pass: seed'),
          h('p', { class: 'big' }, math(`∂${y}/∂${y} = 1`)),
          h('p', {}, 'The backward pass visits the nodes in reverse topological order. When u is visited, δ_u = ',
            math(`∂${y}/∂u`), ' is complete and has u’s shape. u sends δ_u to each input v by the matrix-form rule of its operation (δ·xᵀ, Wᵀ·δ, δ ⊙ f′(a), a sum over broadcast dimensions), which computes the scalar chain rule for every entry at once.'));
        break;
      case 'backward':
        renderMatrixBackward(panel, step, node);
        break;
      default:
        renderMatrixDone(panel);
        break;
    }
  }

  function renderMatrixBackward(panel, step, node) {
    const data = state.data;
    const y = data.outputName;
    const u = node.name;
    panel.append(h('h2', {}, 'Backward: visit ', math(`${u} (${shapeOf(node)})`)));
    panel.append(h('p', {}, math(`${u} = ${node.formula}`), node.uses > 1 ? ` (used ${node.uses} times: δ_${u} is the sum of what its consumers sent)` : ''));
    panel.append(h('div', { class: 'upstream' }, named(`δ_${u} = ∂${y}/∂${u}`, step.upstream)));
    const operands = [...new Map(node.inputs.map((i) => [i, data.nodes[i]])).values()].filter((n) => n.value.shape.length > 0 || n.box);
    if (operands.length) {
      panel.append(h('p', { class: 'operands-note' }, 'Forward values it uses: ',
        operands.map((n, k) => [k ? ', ' : '', math(`${n.name} = ${n.value.text}`)])));
    }
    const list = h('ol', { class: 'contributions' });
    for (const c of step.contributions) {
      const v = data.nodes[c.input];
      const complete = c.use === c.uses;
      const item = h('li', { class: 'contribution matrix', 'data-input': v.name },
        h('div', { class: 'into' }, 'into ', math(`${v.name} (${shapeOf(v)})`), ':'),
        h('div', { class: 'rule' }, math(c.rule)),
        h('div', { class: 'scalar-rule' }, 'scalar chain rule: ', math(c.scalarRule)));
      if (c.localRule) item.append(h('div', { class: 'local' }, named(c.localRule, c.local)));
      item.append(h('div', { class: 'product' }, named(`∂${y}/∂${v.name} ${c.uses > 1 ? '(this part)' : ''}`.trim(), c.contribution, 'value')));
      if (c.uses > 1) {
        item.append(h('div', { class: 'accumulate' }, c.before ? 'added to what it had: ' : 'its first part: ', grid(c.after),
          h('span', { class: complete ? 'tag complete' : 'tag partial' },
            complete ? ` complete (${c.use} of ${c.uses} uses)` : ` ${c.use} of ${c.uses} uses so far`)));
      } else {
        item.append(h('div', { class: 'accumulate' }, h('span', { class: 'tag complete' }, ' complete')));
      }
      list.append(item);
    }
    if (step.contributions.length) panel.append(list);
    else panel.append(h('p', {}, 'None of its inputs needs a gradient.'));
  }

  function renderMatrixDone(panel) {
    const data = state.data;
    const y = data.outputName;
    panel.append(h('h2', {}, 'Gradients of ', math(y)));
    if (!data.gradients.length) {
      panel.append(h('p', {}, 'The program has no inputs.'));
    } else {
      panel.append(h('p', {}, 'Each gradient has its input’s shape; every entry is checked against the central difference (f(x + h) − f(x − h)) / 2h, h = 1e-6·max(1, |x|), and the largest relative error is shown.'));
      // One card per input (grids side by side do not fit beside the graph): gradient, finite difference, check.
      for (const g of data.gradients) {
        panel.append(h('div', { class: 'gradient-card', 'data-input': g.name },
          h('h3', {}, math(`${g.name} (${g.gradient.shapeText})`)),
          named(`∂${y}/∂${g.name}`, g.gradient, 'value'),
          g.finiteDifference ? named('finite difference', g.finiteDifference) : h('p', {}, 'finite difference: not computed'),
          h('p', { class: 'check' }, 'largest relative error ', h('span', { class: 'num' }, g.maxRelativeError.text), ' ',
            h('span', { class: g.agrees === true ? 'ok' : g.agrees === false ? 'bad' : '' },
              g.agrees === true ? '✓ agrees' : g.agrees === false ? '✗ differs' : 'not checked'))));
      }
      panel.append(h('p', { class: 'rule-check' }, 'Every δ is the engine’s gradient (Autograd.Grad, float64); at each node the rules’ values add up to it, the largest difference being ',
        data.largestRuleDifference.text, '.'));
    }
    renderMatrixDescent(panel);
    if (data.example) panel.append(expected(data.example));
  }

  function renderMatrixDescent(panel) {
    const data = state.data;
    const d = data.descent;
    const y = data.outputName;
    panel.append(h('h2', {}, 'One gradient-descent step'));
    panel.append(stepForm(d ? d.learningRate.text : null));
    if (!d) {
      panel.append(h('p', {}, 'Choose η and take a step: every input W moves to W − η·∂' + y + '/∂W, entry by entry.'));
      return;
    }
    panel.append(h('p', {}, 'Update ', math(`W ← W − η·∂${y}/∂W`), ' entry by entry with ', math(`η = ${d.learningRate.text}`), ':'));
    for (const u of d.updates) {
      panel.append(h('div', { class: 'update', 'data-input': u.name },
        math(`${u.name} ←`), grid(u.value), math(`− ${d.learningRate.text} ·`), grid(u.gradient), math('='), grid(u.newValue, 'value')));
    }
    panel.append(h('p', { class: 'big result after' }, 'After the step: ', math(`${y} = `), h('span', { class: 'num' }, d.outputAfter.text), ` (was ${d.outputBefore.text})`));
  }

  function table(headers, rows) {
    return h('div', { class: 'table-wrap' },
      h('table', {}, h('thead', {}, h('tr', {}, headers.map((t) => h('th', {}, t)))), h('tbody', {}, rows)));
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring.

  function setLarge(large) {
    // Large text is for a projector: the editor folds away to leave the room to the graph (a click opens it).
    if (large !== state.large) $('editor').open = !large;
    state.large = large;
    document.documentElement.classList.toggle('large', large);
    $('large').setAttribute('aria-pressed', String(large));
    $('large').textContent = large ? 'Normal text' : 'Large text';
    scaleGraph();
    if (state.data) render();
  }

  async function loadExamples() {
    try {
      const response = await fetch('/api/examples');
      const examples = await response.json();
      const select = $('example');
      for (const e of examples) select.append(h('option', { value: e.name }, `${e.name}: ${e.title}`));
    } catch (e) {
      // The select keeps "your own program"; the examples still open by URL.
    }
  }

  function fromUrl() {
    const { request, step, large } = readUrl();
    setLarge(large);
    if (!request.program && !request.example) request.example = 'w123';
    return load(request, step, false);
  }

  document.addEventListener('DOMContentLoaded', async () => {
    $('form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      load(formRequest(), 0, true);
    });
    $('example').addEventListener('change', () => {
      const name = $('example').value;
      if (name) load({ example: name }, 0, true);
    });
    $('first').addEventListener('click', () => go(0));
    $('prev').addEventListener('click', () => go(state.step - 1));
    $('next').addEventListener('click', () => go(state.step + 1));
    $('last').addEventListener('click', () => go(Infinity));
    $('slider').addEventListener('input', () => go(parseInt($('slider').value, 10)));
    $('large').addEventListener('click', () => { setLarge(!state.large); saveStep(); });
    document.addEventListener('keydown', (ev) => {
      if (!state.data || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      if (ev.target instanceof Element && ev.target.closest('input, textarea, select')) return;
      const moves = { ArrowRight: state.step + 1, ArrowLeft: state.step - 1, Home: 0, End: Infinity };
      if (!(ev.key in moves)) return;
      ev.preventDefault();
      go(moves[ev.key]);
    });
    window.addEventListener('popstate', fromUrl);
    await loadExamples();
    await fromUrl();
  });
})();
