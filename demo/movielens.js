// Helpers shared by the demo's model scripts (Node only): read MovieLens CSVs,
// turn "Matrix, The (1999)" into { title: 'The Matrix', year: 1999 }, and read
// the item ids stored in a .memcom file (docs/FORMAT.md) without the wasm core.

import fs from 'node:fs';

// Split one CSV line (RFC 4180 quoting; MovieLens quotes titles that contain commas).
export function splitCsvLine(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') { cur += '"'; i++; } else quoted = false;
      } else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; }
    else cur += c;
  }
  out.push(cur);
  return out;
}

export function readCsv(path) {
  const text = fs.readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = splitCsvLine(lines[0]);
  return { header, rows: lines.slice(1).map(splitCsvLine) };
}

const ARTICLES = ['The', 'A', 'An', 'Les', 'La', 'Le', 'L\'', 'Il', 'El', 'Die', 'Das', 'Der', 'Den', 'Det', 'Los', 'Las', 'Lo', 'I', 'Gli', 'O', 'Os', 'As', 'Un', 'Une', 'Ein', 'Eine'];

// "Shawshank Redemption, The (1994)" -> { title: "The Shawshank Redemption", year: 1994 }
// "City of Lost Children, The (Cité des enfants perdus, La) (1995)" ->
//   { title: "The City of Lost Children (Cité des enfants perdus, La)", year: 1995 }
export function cleanTitle(raw) {
  let s = raw.trim();
  let year = null;
  const m = s.match(/\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$/);
  if (m) {
    year = Number(m[1]);
    s = s.slice(0, m.index).trim();
  }
  // Move a trailing article of the main title (before any parenthesised alternate title) to the front.
  const paren = s.indexOf(' (');
  let main = paren >= 0 ? s.slice(0, paren) : s;
  const rest = paren >= 0 ? s.slice(paren) : '';
  const am = main.match(/^(.*), ([A-Za-z']+)$/);
  if (am && ARTICLES.includes(am[2])) {
    main = am[2].endsWith('\'') ? `${am[2]}${am[1]}` : `${am[2]} ${am[1]}`;
  }
  return { title: (main + rest).trim(), year };
}

export function readMovies(path) {
  const { rows } = readCsv(path);
  const map = new Map();
  for (const [id, title, genres] of rows) {
    const t = cleanTitle(title);
    map.set(id, { id, ...t, genres: genres ? genres.split('|').filter((g) => g !== '(no genres listed)') : [] });
  }
  return map;
}

// The item ids of a .memcom file, read straight from its sections (docs/FORMAT.md:
// header 256 bytes, directory of 32-byte entries at directory_offset).
export function readModelIds(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = [0x89, 0x4d, 0x45, 0x4d, 0x43, 0x4f, 0x4d, 0x0a];
  magic.forEach((b, i) => { if (bytes[i] !== b) throw new Error('not a .memcom file (bad magic)'); });
  const n = dv.getUint32(24, true);
  const count = dv.getUint32(32, true);
  const dirOff = Number(dv.getBigUint64(40, true));
  let offSec = null;
  let byteSec = null;
  for (let e = 0; e < count; e++) {
    const p = dirOff + e * 32;
    const type = dv.getUint32(p, true);
    const off = Number(dv.getBigUint64(p + 8, true));
    const size = Number(dv.getBigUint64(p + 16, true));
    if (type === 11) offSec = { off, size };
    if (type === 12) byteSec = { off, size };
  }
  if (!offSec || !byteSec) throw new Error('the model stores no item ids');
  const dec = new TextDecoder('utf-8', { fatal: true });
  const ids = new Array(n);
  for (let i = 0; i < n; i++) {
    const a = dv.getUint32(offSec.off + i * 4, true);
    const b = dv.getUint32(offSec.off + (i + 1) * 4, true);
    ids[i] = dec.decode(bytes.subarray(byteSec.off + a, byteSec.off + b));
  }
  return ids;
}

// The metadata JSON of a .memcom file (section type 14), or null.
export function readModelMetadata(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(32, true);
  const dirOff = Number(dv.getBigUint64(40, true));
  for (let e = 0; e < count; e++) {
    const p = dirOff + e * 32;
    if (dv.getUint32(p, true) === 14) {
      const off = Number(dv.getBigUint64(p + 8, true));
      const size = Number(dv.getBigUint64(p + 16, true));
      return JSON.parse(new TextDecoder().decode(bytes.subarray(off, off + size)));
    }
  }
  return null;
}
