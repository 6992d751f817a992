import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';

// The operator console (api/console, React): its built files, served at /console by the API process.
// No key is needed for the files themselves: every call the console makes is to the API, which checks
// the session. Any path under /console that is not a built asset gets index.html (the console's own router
// reads the path).

export const CONSOLE_DIST = path.join(__dirname, 'console', 'dist');

// Script, styles and calls from the API's own origin only; no framing by another site.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export function consoleFiles(dist = CONSOLE_DIST): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!existsSync(path.join(dist, 'index.html'))) {
      res
        .status(503)
        .type('text/plain')
        .send('The console is not built: run `npm run console:build` (npm start and npm test build it when missing).\n');
      return;
    }
    // Mounted at /console: req.path is what follows it.
    const asset = /^\/assets\/[\w.-]+$/.test(req.path) ? req.path.slice(1) : undefined;
    res.set('X-Content-Type-Options', 'nosniff');
    if (asset) {
      // Built assets are named by their content: cached for good. A missing one is a plain 404.
      res.sendFile(asset, { root: dist, dotfiles: 'deny', immutable: true, maxAge: '365d' }, (err) => {
        if (err && !res.headersSent) res.status(404).type('text/plain').send('No such console file\n');
        else if (err) next(err);
      });
      return;
    }
    res.set('Content-Security-Policy', CSP).set('Cache-Control', 'no-cache');
    res.sendFile('index.html', { root: dist }, (err) => err && next(err));
  };
}
