// MovieLens for the demo's model scripts (Node only): read movies.csv and turn
// "Matrix, The (1999)" into { title: 'The Matrix', year: 1999 }. (A model's item
// ids and metadata are read through the package: model.ids(), model.info.metadata.)

import fs from 'node:fs';

// Split one CSV line (RFC 4180 quoting; MovieLens quotes titles that contain commas).
function splitCsvLine(line) {
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

function readCsv(path) {
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
