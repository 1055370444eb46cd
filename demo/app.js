// memcom demo page: wires its parts together. Plain ES modules, no dependencies
// besides the memcom package itself; written for a strict CSP (no eval, no
// inline scripts or styles).
//
//   config.js   settings from the URL (?simd=0, ?model=, models directory, k)
//   engine.js   starting the WebAssembly engine, the engine line
//   catalogue.js movie titles (models/movies.json) and their search keys
//   search.js   the title search box
//   picks.js    the chosen movies (chips, ?picks= in the URL)
//   columns.js  one result column per model: load, stats, recommendations
//   quality.js  the quality-against-size section (chart.js draws it)
//   large.js    the 1,000,000-item Web Worker view (worker.js runs it)
//   format.js, dom.js, status.js  numbers and errors as text, DOM helpers, the error box and test hook

import { MODELS_DIR, params } from './config.js';
import { $ } from './dom.js';
import { describeError } from './format.js';
import { hook, showError, markReady } from './status.js';
import { startEngine, showEngine, showEngineFailed } from './engine.js';
import { parseCatalogue } from './catalogue.js';
import { createSearch } from './search.js';
import { createPicks } from './picks.js';
import { LoadError, modelSpecsFromUrl, loadColumn, loadErrorTitle, showColumns, showNoColumns, renderRecommendations } from './columns.js';
import { renderQuality } from './quality.js';
import { initLarge } from './large.js';

// Exposed for the browser tests (read-only use).
const state = { manifest: null, catalogue: null, columns: [], picks: null, lean: 'default' };
hook.state = state;

async function fetchJson(url, what) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`Could not fetch ${what} (${url.pathname}): ${e.message}`);
  }
  if (!res.ok) throw new Error(`Could not fetch ${what} (${url.pathname}): HTTP ${res.status} ${res.statusText}`);
  try {
    return await res.json();
  } catch (e) {
    throw new Error(`${what} (${url.pathname}) is not valid JSON: ${e.message}`);
  }
}

function update() {
  state.picks.render();
  renderRecommendations(state.columns, state.picks.ids, state.catalogue, state.lean);
}

// "Lean on": popular movies / a balance / your picks (columns.js leanPopularity)
function initLean() {
  const buttons = [...document.querySelectorAll('.lean .choice')];
  for (const b of buttons) {
    b.addEventListener('click', () => {
      state.lean = b.dataset.lean;
      for (const x of buttons) x.setAttribute('aria-pressed', String(x === b));
      if (state.picks) update();
    });
  }
}

async function main() {
  initLarge(() => (state.picks ? state.picks.ids.map((id) => state.catalogue.byId.get(id) ?? 0) : []));
  initLean();
  let manifest;
  try {
    manifest = await fetchJson(new URL('manifest.json', MODELS_DIR), 'the model list');
  } catch (e) {
    showError('The demo models are missing', e.message);
    return;
  }
  state.manifest = manifest;
  let specs;
  try {
    specs = modelSpecsFromUrl(manifest);
    state.catalogue = parseCatalogue(await fetchJson(new URL(manifest.movies || 'movies.json', MODELS_DIR), 'the movie titles'));
  } catch (e) {
    showError('The demo could not start', e.message);
    return;
  }
  const catalogue = state.catalogue;
  state.picks = createPicks({ catalogue, onChange: update });

  try {
    showEngine(await startEngine());
  } catch (e) {
    showEngineFailed();
    showError('The WebAssembly engine could not start', describeError(e));
    return;
  }

  // Load the models one after another (each: download, then validate).
  for (const spec of specs) {
    try {
      state.columns.push(await loadColumn(spec));
    } catch (e) {
      showError(loadErrorTitle(e), e instanceof LoadError ? e.message : describeError(e));
    }
  }
  if (!state.columns.length) {
    showNoColumns();
    await renderQuality(manifest, state.columns);
    return;
  }
  showColumns(state.columns);

  createSearch({ catalogue, isChosen: state.picks.has, onPick: (id) => state.picks.add(id) });
  $('clear').addEventListener('click', () => state.picks.clear());
  const example = $('example');
  example.disabled = false;
  example.addEventListener('click', () => state.picks.add(...(manifest.example || ['1', '2571', '6377'])));

  state.picks.add(...(params.get('picks') || '').split(','));
  await renderQuality(manifest, state.columns);
}

main()
  .catch((e) => showError('Something went wrong', describeError(e)))
  .finally(markReady);
