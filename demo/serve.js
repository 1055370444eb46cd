#!/usr/bin/env node
// A small, dependency-free static server for the memcom demo.
//
//   npm run demo                      # http://127.0.0.1:8080/demo/
//   npm run demo -- --port 9000       # or PORT=9000 npm run demo
//   npm run demo -- --port 0          # any free port (the URL is printed)
//   npm run demo -- --host 0.0.0.0    # listen beyond loopback (only if you mean it)
//
// It serves what the demo page loads from the repository (DEMO_PATHS: the page
// and its models in demo/, the package in web/, the WebAssembly modules in
// dist/) and nothing else: not the sources, build/ or logs. Only GET and HEAD;
// no directory listings; dot-files (.git, .ci) and node_modules are never
// served; a path that climbs (..) or hides a separator in an escape (%2f, %5c)
// is refused; redirects name a path on this server, never another host. Every
// response carries a strict Content-Security-Policy that the page is written to
// satisfy.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.memcom': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.csv': 'text/plain; charset=utf-8',
};

const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

// What the demo page loads, relative to the repository root: a directory and
// everything under it ("demo/"), or one directory's files of one type ("dist/*.wasm").
export const DEMO_PATHS = Object.freeze(['demo/', 'web/', 'dist/*.wasm']);

const BLOCKED_SEGMENTS = new Set(['node_modules']);

// The path of a request target ("/a/b%20c/?q") as decoded segments, empty and
// "." segments dropped: ['a', 'b c']; null when it must be refused (not a path,
// bad escapes, "..", dot-files, node_modules, a "/", "\" or NUL in a segment).
function pathSegments(rawPath) {
  if (typeof rawPath !== 'string' || !rawPath.startsWith('/')) return null;
  const out = [];
  for (const raw of rawPath.split('/')) {
    let s;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return null; // malformed percent-encoding
    }
    if (s === '' || s === '.') continue;
    if (s === '..' || s.startsWith('.') || BLOCKED_SEGMENTS.has(s) || /[/\\\0]/.test(s)) return null;
    out.push(s);
  }
  return out;
}

// Whether the file or directory at rel ("a/b", "" for the root) may be served.
function isAllowed(rel, allow) {
  if (!allow) return true;
  return allow.some((entry) => {
    const star = entry.indexOf('/*');
    if (star >= 0) {
      const dir = entry.slice(0, star + 1);
      const ext = entry.slice(star + 2);
      const name = rel.startsWith(dir) ? rel.slice(dir.length) : null;
      return name !== null && name.length > ext.length && !name.includes('/') && name.endsWith(ext);
    }
    if (entry.endsWith('/')) return rel === entry.slice(0, -1) || rel.startsWith(entry);
    return rel === entry;
  });
}

// The canonical path of segments: "/" + each segment percent-encoded. It always
// starts with exactly one "/" followed by a segment (or is "/"), so that as a
// Location it names a path on this server, never a host ("//host").
function canonicalPath(segments) {
  return '/' + segments.map(encodeURIComponent).join('/');
}

// Map a request path to a file under root, or null when it must not be served
// (allow: the paths that may be, as DEMO_PATHS; null for everything under root).
export function resolveRequestPath(root, rawPath, allow = null) {
  const segments = pathSegments(rawPath);
  if (!segments || !isAllowed(segments.join('/'), allow)) return null;
  const full = path.resolve(root, ...segments);
  const rel = path.relative(root, full);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return full;
}

function send(res, status, body, headers = {}) {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': buf.length,
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : buf);
}

function createHandler({ root, allow, log }) {
  const realRoot = fs.realpathSync(root);
  return function handler(req, res) {
    const started = Date.now();
    res.on('finish', () => {
      if (log) log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`);
    });
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    // Cross-origin isolation: finer performance.now() for the latency figures.
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
    }
    // The request target as sent (origin-form "/path?query"); not parsed as a
    // URL, which would resolve "/.//x" to "//x" and read "\" as "/".
    const target = String(req.url);
    const q = target.indexOf('?');
    const rawPath = q >= 0 ? target.slice(0, q) : target;
    const search = q >= 0 ? target.slice(q) : '';
    if (!rawPath.startsWith('/')) return send(res, 400, 'Bad Request\n');
    const segments = pathSegments(rawPath);
    if (!segments) return send(res, 403, 'Forbidden\n');
    const canonical = canonicalPath(segments);
    const redirect = (status, where) => {
      res.writeHead(status, { Location: where + search, 'Content-Length': 0 });
      res.end();
    };
    if (segments.length === 0 || (canonical === '/demo' && !rawPath.endsWith('/'))) return redirect(302, '/demo/');
    const notFound = () => send(res, 404, `Not Found: ${canonical}\n`);
    if (!isAllowed(segments.join('/'), allow)) return notFound();
    let file = path.resolve(realRoot, ...segments);

    fs.stat(file, (err, st) => {
      if (!err && st.isDirectory()) {
        // A directory: at its canonical path with a trailing slash, its index.html.
        if (rawPath !== canonical + '/') return redirect(301, canonical + '/');
        file = path.join(file, 'index.html');
        return fs.stat(file, (err2, st2) => serveFile(err2, st2));
      }
      return serveFile(err, st);
    });

    function serveFile(err, st) {
      if (err || !st.isFile()) return notFound();
      // What the path leads to (through any symlink) must be under the root and allowed.
      fs.realpath(file, (err3, real) => {
        if (err3) return notFound();
        const rel = path.relative(realRoot, real);
        if (rel.startsWith('..') || path.isAbsolute(rel)) return send(res, 403, 'Forbidden\n');
        if (!isAllowed(rel.split(path.sep).join('/'), allow)) return notFound();
        const type = MIME[path.extname(real).toLowerCase()] || 'application/octet-stream';
        const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
        const headers = {
          'Content-Type': type,
          'Cache-Control': 'no-cache',
          ETag: etag,
          'Last-Modified': st.mtime.toUTCString(),
        };
        if (req.headers['if-none-match'] === etag) {
          res.writeHead(304, headers);
          return res.end();
        }
        res.writeHead(200, { ...headers, 'Content-Length': st.size });
        if (req.method === 'HEAD') return res.end();
        const stream = fs.createReadStream(real);
        stream.on('error', () => res.destroy());
        stream.pipe(res);
      });
    }
  };
}

// Start a server; resolves to { server, port, url, close() }. By default it
// serves the demo from the repository (DEMO_PATHS); given another root, all
// of that root (allow: null), unless allow says otherwise.
export function startServer({ port = 8080, host = '127.0.0.1', root = ROOT, allow = root === ROOT ? DEMO_PATHS : null, log = null } = {}) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(createHandler({ root, allow, log }));
    server.keepAliveTimeout = 2000;
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const actual = server.address().port;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
      resolve({
        server,
        port: actual,
        url: `http://${shownHost}:${actual}/demo/`,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}

function parseArgs(argv) {
  const opts = { port: process.env.PORT !== undefined ? Number(process.env.PORT) : 8080, host: process.env.HOST || '127.0.0.1', quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port' || a === '-p' || a.startsWith('--port=')) opts.port = Number(value());
    else if (a === '--host' || a.startsWith('--host=')) opts.host = value();
    else if (a === '--quiet' || a === '-q') opts.quiet = true;
    else if (a === '--help' || a === '-h') opts.help = true;
    else throw new Error(`unknown option ${a} (try --help)`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new Error(`bad port ${opts.port}: use an integer 0..65535 (0 = any free port)`);
  }
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`demo/serve.js: ${e.message}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log('usage: node demo/serve.js [--port N] [--host ADDR] [--quiet]\n' +
      '  serves the demo (demo/, web/, dist/*.wasm); open the printed URL (the demo is at /demo/).\n' +
      '  --port N   port to listen on (default 8080, env PORT; 0 = any free port)\n' +
      '  --host A   address to bind (default 127.0.0.1, env HOST)\n' +
      '  --quiet    do not log requests');
    return;
  }
  try {
    const { url } = await startServer({
      port: opts.port,
      host: opts.host,
      log: opts.quiet ? null : (line) => console.log(line),
    });
    console.log(`memcom demo: ${url}`);
    console.log('(Ctrl+C to stop)');
  } catch (e) {
    if (e.code === 'EADDRINUSE') {
      console.error(`demo/serve.js: port ${opts.port} is in use; try --port 0 or PORT=9000 npm run demo`);
    } else {
      console.error(`demo/serve.js: ${e.message}`);
    }
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main();
}
