// The user's picks: the chips under the search box and their mirror in the
// URL (?picks=1,2571), so that a selection can be shared or reloaded.

import { $, el } from './dom.js';
import { titleOf } from './catalogue.js';

// onChange() runs after every change (it re-renders the page, render() included).
export function createPicks({ catalogue, onChange }) {
  let ids = []; // item ids (strings), in the order added

  function render() {
    const ul = $('chosen');
    ul.replaceChildren(...ids.map((id) => {
      const { title, year } = titleOf(catalogue, id);
      const name = year ? `${title} (${year})` : title;
      return el('li', { class: 'chip', 'data-id': id },
        el('span', { class: 'title', text: title }),
        year ? el('span', { class: 'year', text: String(year) }) : null,
        el('button', { type: 'button', class: 'remove', 'aria-label': `Remove ${name}`, title: `Remove ${name}`,
          onclick: () => remove(id), text: '×' }));
    }));
    $('chosen-count').textContent = String(ids.length);
    $('chosen-empty').hidden = ids.length > 0;
    $('clear').disabled = ids.length === 0;
    const url = new URL(location.href);
    if (ids.length) url.searchParams.set('picks', ids.join(','));
    else url.searchParams.delete('picks');
    history.replaceState(null, '', url);
  }

  // Add the ids of the catalogue that are not picked yet.
  function add(...wanted) {
    for (const id of wanted.map(String)) if (catalogue.byId.has(id) && !ids.includes(id)) ids.push(id);
    onChange();
  }

  function remove(id) {
    const at = ids.indexOf(id);
    ids = ids.filter((p) => p !== id);
    onChange();
    // Keep keyboard focus nearby: the next chip's remove button, else the search box.
    const buttons = document.querySelectorAll('#chosen .remove');
    (buttons[Math.min(at, buttons.length - 1)] || $('search')).focus();
  }

  function clear() {
    ids = [];
    onChange();
  }

  return { get ids() { return ids; }, has: (id) => ids.includes(id), add, remove, clear, render };
}
