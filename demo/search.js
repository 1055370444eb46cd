// The title search: matching (searchCatalogue) and the combobox that lists the
// hits (arrow keys, Enter, Escape, click).

import { $, el } from './dom.js';
import { normalise } from './catalogue.js';

// Rows of the catalogue whose title holds every word of the query, best first.
function searchCatalogue(cat, query, limit = 8) {
  const q = normalise(query);
  if (!q) return [];
  const tokens = q.split(' ');
  const hits = [];
  for (let i = 0; i < cat.norm.length; i++) {
    const t = cat.norm[i];
    let ok = true;
    for (const tok of tokens) {
      if (!t.includes(tok)) { ok = false; break; }
    }
    if (!ok) continue;
    // Rank: title starts with the query, then a word starts with it, then anything;
    // within a rank, catalogue order (the models number items by popularity).
    let rank = 2;
    if (t.startsWith(' ' + q)) rank = 0;
    else if (t.includes(' ' + q)) rank = 1;
    hits.push(rank * 1e7 + i);
  }
  hits.sort((a, b) => a - b);
  return hits.slice(0, limit).map((h) => h % 1e7);
}

// The search box over `catalogue`; isChosen(id) marks picked titles, onPick(id)
// is called when the user adds one (after the box has been cleared).
export function createSearch({ catalogue, isChosen, onPick }) {
  const input = $('search');
  const list = $('search-results');
  let hits = [];
  let active = -1;

  function render() {
    list.replaceChildren();
    if (!input.value.trim()) {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      $('search-status').textContent = '';
      return;
    }
    if (hits.length === 0) {
      list.append(el('li', { class: 'empty', role: 'option', 'aria-disabled': 'true', text: 'No matching title' }));
    }
    hits.forEach((row, j) => {
      const id = catalogue.ids[row];
      const chosen = isChosen(id);
      const li = el('li', {
        id: `hit-${j}`,
        role: 'option',
        class: 'hit' + (j === active ? ' active' : '') + (chosen ? ' chosen' : ''),
        'aria-selected': j === active ? 'true' : 'false',
        'data-id': id,
        onmousedown: (ev) => ev.preventDefault(), // keep focus in the input
        onclick: () => choose(id),
      },
      el('span', { class: 'title', text: catalogue.titles[row] }),
      catalogue.years[row] ? el('span', { class: 'year', text: String(catalogue.years[row]) }) : null,
      chosen ? el('span', { class: 'tag', text: 'added' }) : null);
      list.append(li);
    });
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    if (active >= 0) input.setAttribute('aria-activedescendant', `hit-${active}`);
    else input.removeAttribute('aria-activedescendant');
    $('search-status').textContent = hits.length ? `${hits.length} titles shown` : 'No matching title';
  }

  function refresh() {
    hits = searchCatalogue(catalogue, input.value);
    active = hits.length ? 0 : -1;
    render();
  }

  function choose(id) {
    input.value = '';
    refresh();
    input.focus();
    onPick(String(id));
  }

  function onKey(ev) {
    const n = hits.length;
    if (ev.key === 'ArrowDown' && n) {
      active = (active + 1) % n;
      render();
      ev.preventDefault();
    } else if (ev.key === 'ArrowUp' && n) {
      active = (active - 1 + n) % n;
      render();
      ev.preventDefault();
    } else if (ev.key === 'Enter') {
      if (active >= 0 && n) choose(catalogue.ids[hits[active]]);
      ev.preventDefault();
    } else if (ev.key === 'Escape') {
      input.value = '';
      refresh();
    }
  }

  input.disabled = false;
  input.addEventListener('input', refresh);
  input.addEventListener('keydown', onKey);
  input.addEventListener('blur', () => setTimeout(() => { list.hidden = true; input.setAttribute('aria-expanded', 'false'); }, 150));
  input.addEventListener('focus', () => { if (input.value.trim()) refresh(); });
  return { input };
}
