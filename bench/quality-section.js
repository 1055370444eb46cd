// bench/quality-section.js - puts one "## Heading" section into docs/QUALITY.md:
// replaces the section of that heading, or goes before "## Notes" (else at the end).
import fs from 'node:fs';

// the short-history data sets, in this order, and the model rows
export const NAMES = {
  mlsmall: "ml-latest-small (the demo's models and its seeded 80/10/10 split)",
  ml1m: 'ml-1m (LightGCN++ split)',
  lastfm: 'lastfm (LightGCN++ split)',
};
export const LABEL = { full: 'full', 'memcom-16': 'memcom 16x' };

export function putSection(qualityPath, heading, text) {
  let md = fs.readFileSync(qualityPath, 'utf8');
  const start = md.indexOf(`\n## ${heading}\n`);
  if (start >= 0) {
    const next = md.indexOf('\n## ', start + 1);
    md = md.slice(0, start + 1) + text + (next >= 0 ? '\n' + md.slice(next + 1) : '');
  } else {
    const notes = md.indexOf('\n## Notes\n');
    md = notes >= 0 ? md.slice(0, notes + 1) + text + '\n' + md.slice(notes + 1) : md + '\n' + text;
  }
  fs.writeFileSync(qualityPath, md);
}
