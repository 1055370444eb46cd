// The movie titles (models/movies.json: [id, title, year, genres] in the
// models' item order, genres as "Horror|Thriller") and their search keys.

// Lower-case, strip accents and punctuation: "Amélie (Fabuleux destin…)" -> "amelie fabuleux destin".
export function normalise(s) {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

// { ids, titles, years, genres (arrays of names), norm, byId: Map(id -> row) }
export function parseCatalogue(json) {
  const rows = json.movies;
  if (!Array.isArray(rows)) throw new Error('movies.json has no "movies" array');
  const n = rows.length;
  const ids = new Array(n);
  const titles = new Array(n);
  const years = new Array(n);
  const genres = new Array(n);
  const norm = new Array(n);
  const byId = new Map();
  rows.forEach(([id, title, year, g], i) => {
    ids[i] = String(id);
    titles[i] = title;
    years[i] = year ?? null;
    genres[i] = typeof g === 'string' && g ? g.split('|') : [];
    norm[i] = ' ' + normalise(title) + ' ';
    byId.set(ids[i], i);
  });
  return { ids, titles, years, genres, norm, byId };
}

export function titleOf(cat, id) {
  const row = cat.byId.get(String(id));
  if (row === undefined) return { title: `Item ${id}`, year: null };
  return { title: cat.titles[row], year: cat.years[row] };
}
