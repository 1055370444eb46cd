// What the page reports: the error box, and the read-only hook the browser
// tests watch (window.memcomDemo: ready, errors, large, qualitySource, ...).

import { $, el } from './dom.js';

export const hook = { state: null, ready: false, errors: [] };
window.memcomDemo = hook;

export function reportError(text) {
  hook.errors.push(text);
}

export function showError(title, detail) {
  const box = $('error');
  detail = detail.charAt(0).toUpperCase() + detail.slice(1);
  box.replaceChildren(el('h2', { text: title }), el('p', { text: detail }),
    el('p', { class: 'hint' }, 'Back to ', el('a', { href: './', text: 'the normal demo' }), '.'));
  box.hidden = false;
  reportError(`${title}: ${detail}`);
}

export function markReady() {
  hook.ready = true;
  document.documentElement.dataset.ready = 'true';
}
