import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/tools';

// The console builds from its sources alone (as on a fresh clone, where npm start and npm test build it):
// vite into a throwaway folder, which then holds the page and its script under /console/.

test('the console bundle builds from its sources into an index.html and the script it loads', () => {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'orderhub-console-'));
  try {
    const vite = spawnSync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
        'build',
        '--config',
        'api/console/vite.config.ts',
        '--outDir',
        outDir,
        '--emptyOutDir',
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 110_000 },
    );
    expect({ status: vite.status, stderr: vite.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    const html = readFileSync(path.join(outDir, 'index.html'), 'utf8');
    const script = /<script type="module" crossorigin src="\/console\/assets\/([\w.-]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const assets = readdirSync(path.join(outDir, 'assets'));
    expect(assets).toContain(script);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    // The app's own code is in it (the login form), not only the framework.
    expect(readFileSync(path.join(outDir, 'assets', script!), 'utf8')).toContain('Orderhub console');
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}, 120_000);
