#!/usr/bin/env node
// A small, dependency-free static server for the memcom demo.
//
//   npm run demo                      # http://127.0.0.1:8080/demo/
//   npm run demo -- --port 9000       # or PORT=9000 npm run demo
//   npm run demo -- --port 0          # any free port (the URL is printed)
//   npm run demo -- --host 0.0.0.0    # listen beyond loopback (only if you mean it)
//
// It serves the repository root, so the page at /demo/ reaches the package at
// /web/ and the WebAssembly modules at /dist/. Only GET and HEAD; no directory
// listings; dot-files (.git, .ci) and node_modules are never served; a request
// that resolves outside the root is refused. Every response carries a strict
// Content-Security-Policy that the page is written to satisfy.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..');

export const MIME = {
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

export const CSP = [
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

const BLOCKED_SEGMENTS = new Set(['node_modules']);

// Map a request path to a file under root, or null when it must not be served.
export function resolveRequestPath(root, rawPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return null; // malformed percent-encoding
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  for (const s of segments) {
    if (s === '..' || s.startsWith('.') || BLOCKED_SEGMENTS.has(s)) return null;
  }
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

export function createHandler({ root = ROOT, log = null } = {}) {
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
    let url;
    try {
      url = new URL(req.url, 'http://localhost');
    } catch {
      return send(res, 400, 'Bad Request\n');
    }
    if (url.pathname === '/' || url.pathname === '/demo') {
      res.writeHead(302, { Location: '/demo/' + url.search, 'Content-Length': 0 });
      return res.end();
    }
    let file = resolveRequestPath(realRoot, url.pathname);
    if (!file) return send(res, 403, 'Forbidden\n');

    fs.stat(file, (err, st) => {
      if (!err && st.isDirectory()) {
        if (!url.pathname.endsWith('/')) {
          res.writeHead(301, { Location: url.pathname + '/' + url.search, 'Content-Length': 0 });
          return res.end();
        }
        file = path.join(file, 'index.html');
        return fs.stat(file, (err2, st2) => serveFile(err2, st2));
      }
      return serveFile(err, st);
    });

    function serveFile(err, st) {
      if (err || !st.isFile()) return send(res, 404, `Not Found: ${url.pathname}\n`);
      // Refuse symlinks that lead outside the root.
      fs.realpath(file, (err3, real) => {
        if (err3) return send(res, 404, `Not Found: ${url.pathname}\n`);
        const rel = path.relative(realRoot, real);
        if (rel.startsWith('..') || path.isAbsolute(rel)) return send(res, 403, 'Forbidden\n');
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

// Start a server; resolves to { server, port, url, close() }.
export function startServer({ port = 8080, host = '127.0.0.1', root = ROOT, log = null } = {}) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(createHandler({ root, log }));
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
      '  serves the repository root; open the printed URL (the demo is at /demo/).\n' +
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
