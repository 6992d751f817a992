import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { parse } from 'yaml';
import { loadConfig } from '../../worker/config';
import { ORDER_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

// No Docker engine runs these tests: they read docker-compose.yml, the Dockerfile and deploy/ as
// Docker would, and run the deploy scripts against fake CLIs to check what they would do.

const repoRoot = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

// What an operator exports before `docker compose up`.
const operatorEnv = {
  ORDERHUB_API_KEY: 'compose-test-operator-key-0123456789',
  ORDERHUB_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  TEMPORAL_DB_PASSWORD: 'compose-test-db-password',
};

type Healthcheck = { test: string[] | string };
type Service = {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: Healthcheck;
  restart?: string;
  profiles?: string[];
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

// Compose's variable interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}.
function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (match === '$$') return '$';
      const name = braced ?? bare!;
      const value = env[name];
      const missing = op?.startsWith(':') ? !value : value === undefined;
      if (op?.endsWith('?') && missing) throw new Error(`required variable ${name} is missing a value: ${arg}`);
      if (op?.endsWith('-') && missing) return arg ?? '';
      return value ?? '';
    },
  );
}

function interpolateAll<T>(node: T, env: Record<string, string | undefined>): T {
  if (typeof node === 'string') return interpolate(node, env) as T;
  if (Array.isArray(node)) return node.map((item) => interpolateAll(item, env)) as T;
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, env)])) as T;
  }
  return node;
}

function loadCompose(env: Record<string, string | undefined> = operatorEnv): Compose {
  const raw = parse(read('docker-compose.yml'), { merge: true }) as Compose;
  return interpolateAll(raw, env);
}

function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v == null ? '' : String(v)]));
}

function dependenciesOf(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, dep]) => [name, dep?.condition]));
}

const commandText = (command: Service['command']) => (Array.isArray(command) ? command.join(' ') : (command ?? ''));
const imageName = (image: string) => image.replace(/:[^:/]+$/, '');
const imageTag = (image: string) => /:([^:/]+)$/.exec(image)?.[1];

// Source of each bind mount (./path:/container/path) in the service, keyed by its path in the container.
function bindMounts(service: Service): Record<string, string> {
  return Object.fromEntries(
    (service.volumes ?? [])
      .filter((volume) => volume.startsWith('./'))
      .map((volume) => {
        const [source, target] = volume.split(':');
        return [target, source];
      }),
  );
}

// The port a client must use for each kind of server the app talks to, as the images serve it.
const SERVER_PORTS: Record<string, number> = { 'temporalio/server': 7233, mongo: 27017, redis: 6379 };

function serviceServing(compose: Compose, host: string, port: number, image: string) {
  const service = compose.services[host];
  expect(service).toBeDefined();
  expect(imageName(service.image ?? '')).toBe(image);
  expect(port).toBe(SERVER_PORTS[image]);
}

const APP_SERVICES = ['api', 'worker'] as const;

describe('docker-compose.yml', () => {
  const compose = loadCompose();
  const { services } = compose;

  test('defines every service Orderhub needs to run', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'mongodb', 'redis', 'api', 'worker']),
    );
    expect(imageName(services.temporal.image!)).toBe('temporalio/server');
    expect(imageName(services['temporal-ui'].image!)).toBe('temporalio/ui');
    expect(imageName(services.postgresql.image!)).toBe('postgres');
    expect(imageTag(services.mongodb.image!)).toMatch(/^7\./);
    expect(imageTag(services.redis.image!)).toMatch(/^7\./);
  });

  test('pins every third-party image to a release, not a moving tag', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) continue;
      // PostgreSQL numbers its releases major.minor (16.10); the others major.minor.patch.
      expect({ name, tag: imageTag(service.image ?? '') }).toEqual({ name, tag: expect.stringMatching(/^\d+\.\d+(\.\d+)?$/) });
    }
  });

  test('runs the Temporal schema and setup tools at the same version as the server', () => {
    const serverVersion = imageTag(services.temporal.image!);
    const adminTools = Object.values(services).filter((s) => imageName(s.image ?? '') === 'temporalio/admin-tools');
    expect(adminTools.length).toBeGreaterThan(0);
    for (const service of adminTools) expect(imageTag(service.image!)).toBe(serverVersion);
  });

  test('runs Temporal on PostgreSQL, started only after its schema is in place', () => {
    const temporal = environmentOf(services.temporal);
    expect(temporal.DB).toBe('postgres12');
    expect(services[temporal.POSTGRES_SEEDS]?.image).toMatch(/^postgres:/);
    expect(temporal.POSTGRES_PWD).toBe(environmentOf(services.postgresql).POSTGRES_PASSWORD);
    expect(temporal.POSTGRES_USER).toBe(environmentOf(services.postgresql).POSTGRES_USER);
    // Without 0.0.0.0 the frontend listens only inside its own container.
    expect(temporal.BIND_ON_IP).toBe('0.0.0.0');

    const deps = dependenciesOf(services.temporal);
    expect(deps.postgresql).toBe('service_healthy');
    const schemaJob = Object.entries(deps).find(([, condition]) => condition === 'service_completed_successfully');
    expect(schemaJob).toBeDefined();
    const schema = environmentOf(services[schemaJob![0]]);
    expect(schema.POSTGRES_SEEDS).toBe(temporal.POSTGRES_SEEDS);
    expect(schema.SQL_PASSWORD).toBe(temporal.POSTGRES_PWD);
    expect(dependenciesOf(services[schemaJob![0]]).postgresql).toBe('service_healthy');
  });

  test('keeps PostgreSQL, MongoDB and Redis data in named volumes', () => {
    const dataDirs = { postgresql: '/var/lib/postgresql/data', mongodb: '/data/db', redis: '/data' };
    for (const [service, dir] of Object.entries(dataDirs)) {
      const volume = services[service].volumes?.find((v) => v.split(':')[1] === dir);
      expect({ service, volume }).toEqual({ service, volume: expect.any(String) });
      expect(Object.keys(compose.volumes ?? {})).toContain(volume!.split(':')[0]);
    }
  });

  test('gives Temporal a dynamic config file that exists in the repository', () => {
    const file = environmentOf(services.temporal).DYNAMIC_CONFIG_FILE_PATH;
    const mounts = bindMounts(services.temporal);
    const [target, source] = Object.entries(mounts).find(([t]) => file.startsWith(`${t}/`))!;
    const local = path.join(repoRoot, source, path.relative(target, file));
    expect(existsSync(local)).toBe(true);
    expect(() => parse(readFileSync(local, 'utf8'))).not.toThrow();
  });

  test('runs MongoDB as the replica set rs0 that the app connects to', () => {
    expect(commandText(services.mongodb.command)).toMatch(/--replSet rs0(\s|$)/);
    for (const app of APP_SERVICES) {
      expect(new URL(environmentOf(services[app]).MONGODB_URL).searchParams.get('replicaSet')).toBe('rs0');
    }
    // The healthcheck is what initiates the set (see the deploy script tests below).
    const healthcheck = commandText(services.mongodb.healthcheck?.test as string[]);
    const script = Object.keys(bindMounts(services.mongodb)).find((target) => healthcheck.includes(target));
    expect(script).toBeDefined();
  });

  test('runs Redis with an append-only file and no eviction, so BullMQ jobs survive restarts', () => {
    const command = commandText(services.redis.command);
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
  });

  test.each(APP_SERVICES)('%s gets a production configuration that worker/config.ts accepts', (app) => {
    const env = environmentOf(services[app]);
    expect(env).toMatchObject({
      NODE_ENV: 'production',
      ORDERHUB_API_KEY: operatorEnv.ORDERHUB_API_KEY,
      TEMPORAL_ADDRESS: expect.any(String),
      MONGODB_URL: expect.any(String),
      REDIS_URL: expect.any(String),
    });
    const config = loadConfig(env);
    expect(config.apiKey).toBe(operatorEnv.ORDERHUB_API_KEY);
    for (const [key, value] of Object.entries(env)) {
      expect({ key, value: String(config[key as keyof typeof config]) }).toEqual({ key, value });
    }
  });

  test.each(APP_SERVICES)('%s is given only settings that worker/config.ts reads', (app) => {
    const env = environmentOf(services[app]);
    // loadConfig returns the schema's keys only; an unknown name would be silently ignored in production.
    expect(loadConfig({ ...env, NOT_AN_ORDERHUB_SETTING: 'x' })).not.toHaveProperty('NOT_AN_ORDERHUB_SETTING');
    const config = loadConfig(env);
    for (const key of Object.keys(env)) expect({ key, known: key in config }).toEqual({ key, known: true });
  });

  test.each(APP_SERVICES)('%s reaches Temporal, MongoDB and Redis at services in this file on their ports', (app) => {
    const env = environmentOf(services[app]);
    const [temporalHost, temporalPort] = env.TEMPORAL_ADDRESS.split(':');
    serviceServing(compose, temporalHost, Number(temporalPort), 'temporalio/server');
    const mongo = new URL(env.MONGODB_URL);
    serviceServing(compose, mongo.hostname, Number(mongo.port || 27017), 'mongo');
    const redis = new URL(env.REDIS_URL);
    serviceServing(compose, redis.hostname, Number(redis.port || 6379), 'redis');
  });

  test.each(APP_SERVICES)('%s starts only once its dependencies are healthy and Temporal is set up', (app) => {
    const deps = dependenciesOf(services[app]);
    expect(deps).toMatchObject({ temporal: 'service_healthy', mongodb: 'service_healthy', redis: 'service_healthy' });
    const setup = Object.entries(deps).filter(([, condition]) => condition === 'service_completed_successfully');
    expect(setup.map(([name]) => name)).toContain(namespaceSetupService(services));
  });

  test('with --profile ferretdb the apps can keep their data in PostgreSQL through FerretDB v1, indexes mirrored by the same SQL the local stack installs', () => {
    const withFerret = loadCompose({
      ...operatorEnv,
      MONGODB_URL: 'mongodb://ferretdb:27017/',
      FERRETDB_DB_PASSWORD: 'ferret-test-password',
    }).services;
    const ferret = withFerret.ferretdb;
    expect(ferret.profiles).toEqual(['ferretdb']);
    expect(imageName(ferret.image!)).toBe('ghcr.io/ferretdb/ferretdb');
    expect(imageTag(ferret.image!)).toMatch(/^1\.24\./); // v1: v2 needs the DocumentDB extension
    for (const app of APP_SERVICES) {
      expect(new URL(environmentOf(withFerret[app]).MONGODB_URL).hostname).toBe('ferretdb');
      expect(dependenciesOf(withFerret[app]).ferretdb).toBe('service_healthy');
    }
    const pgUrl = new URL(environmentOf(ferret).FERRETDB_POSTGRESQL_URL);
    const postgres = withFerret[pgUrl.hostname];
    expect(postgres.profiles).toEqual(['ferretdb']);
    expect(imageName(postgres.image!)).toBe('postgres');
    expect(environmentOf(postgres)).toMatchObject({
      POSTGRES_USER: pgUrl.username,
      POSTGRES_PASSWORD: 'ferret-test-password',
      POSTGRES_DB: pgUrl.pathname.slice(1),
    });
    expect(decodeURIComponent(pgUrl.password)).toBe('ferret-test-password');
    expect(commandText(postgres.command)).toContain('plan_cache_mode=force_custom_plan');
    // The set-up job runs the mirror SQL against the same database before FerretDB starts.
    const [setupName, condition] = Object.entries(dependenciesOf(ferret))[0];
    expect(condition).toBe('service_completed_successfully');
    const setup = withFerret[setupName];
    const sqlInContainer = Object.entries(bindMounts(setup)).find(
      ([, source]) => source === './store/postgres/ferretdb-gin-mirror.sql',
    )?.[0];
    expect(sqlInContainer).toBeDefined();
    expect(existsSync(path.join(repoRoot, 'store/postgres/ferretdb-gin-mirror.sql'))).toBe(true);
    expect(commandText(setup.command)).toMatch(
      new RegExp(`-h ${pgUrl.hostname} -U ${pgUrl.username} -d ${pgUrl.pathname.slice(1)} -f ${sqlInContainer}`),
    );
    expect(environmentOf(setup).PGPASSWORD).toBe('ferret-test-password');
  });

  test('without the profile the apps use MongoDB 7, and the FerretDB services stay out', () => {
    for (const name of ['ferretdb', 'ferretdb-postgres', 'ferretdb-setup']) expect(services[name].profiles).toEqual(['ferretdb']);
    expect(services.mongodb.profiles).toBeUndefined();
    for (const app of APP_SERVICES) expect(new URL(environmentOf(services[app]).MONGODB_URL).hostname).toBe('mongodb');
  });

  test('gives every service that others wait on as healthy a healthcheck', () => {
    for (const service of Object.values(services)) {
      for (const [dep, condition] of Object.entries(dependenciesOf(service))) {
        expect(services[dep]).toBeDefined();
        if (condition === 'service_healthy')
          expect({ dep, healthcheck: services[dep].healthcheck }).toEqual({ dep, healthcheck: expect.anything() });
      }
    }
  });

  test('registers every Orderhub search attribute on the namespace the app uses', () => {
    const setup = environmentOf(services[namespaceSetupService(services)]);
    const registered = Object.fromEntries(setup.ORDER_SEARCH_ATTRIBUTES.split(/\s+/).map((pair) => pair.split('=')));
    expect(registered).toEqual(ORDER_SEARCH_ATTRIBUTES);
    for (const app of APP_SERVICES) {
      const env = environmentOf(services[app]);
      expect(setup.TEMPORAL_NAMESPACE).toBe(loadConfig(env).TEMPORAL_NAMESPACE);
      expect(setup.TEMPORAL_ADDRESS).toBe(env.TEMPORAL_ADDRESS);
    }
  });

  test('serves the Temporal UI on port 8080, talking to the same frontend as the app', () => {
    const ui = services['temporal-ui'];
    expect(environmentOf(ui).TEMPORAL_ADDRESS).toBe(environmentOf(services.worker).TEMPORAL_ADDRESS);
    expect(ui.ports?.some((port) => /(^|:)8080:8080$/.test(port))).toBe(true);
  });

  test('runs the API and the worker from one image built from this repository', () => {
    const { api, worker } = services;
    expect(api.build).toBe('.');
    expect(worker.build).toBe('.');
    expect(api.image).toBe(worker.image);
    expect(commandText(api.command)).toBe('tsx api/server.ts');
    expect(commandText(worker.command)).toBe('tsx worker/main.ts');
  });

  test('publishes the API on the port it listens on, on all interfaces, and the worker on none', () => {
    const env = environmentOf(services.api);
    const config = loadConfig(env);
    expect(config.API_HOST).toBe('0.0.0.0');
    expect(services.api.ports).toContain(`${config.PORT}:${config.PORT}`);
    expect(services.worker.ports ?? []).toEqual([]);
    expect(environmentOf(services.worker)).not.toHaveProperty('PORT');
  });

  test('refuses to start without an operator API key or a Temporal database password', () => {
    expect(() => loadCompose({ ...operatorEnv, ORDERHUB_API_KEY: undefined })).toThrow(/ORDERHUB_API_KEY/);
    expect(() => loadCompose({ ...operatorEnv, ORDERHUB_API_KEY: '' })).toThrow(/ORDERHUB_API_KEY/);
    expect(() => loadCompose({ ...operatorEnv, TEMPORAL_DB_PASSWORD: undefined })).toThrow(/TEMPORAL_DB_PASSWORD/);
  });

  test('mounts only files that exist in the repository', () => {
    for (const service of Object.values(services)) {
      for (const source of Object.values(bindMounts(service))) {
        expect({ source, exists: existsSync(path.join(repoRoot, source)) }).toEqual({ source, exists: true });
      }
    }
  });
});

// The admin-tools one-shot that sets up the namespace (as opposed to the one that migrates the schema).
function namespaceSetupService(services: Record<string, Service>): string {
  const name = Object.keys(services).find((n) => 'ORDER_SEARCH_ATTRIBUTES' in environmentOf(services[n]));
  expect(name).toBeDefined();
  return name!;
}

// Where a one-shot service's script lives in the repository.
function scriptOf(service: Service): string {
  const script = [commandText(service.entrypoint), commandText(service.command)].join(' ');
  const [, source] = Object.entries(bindMounts(service)).find(([target]) => script.includes(target))!;
  return path.join(repoRoot, source);
}

describe('deploy scripts', () => {
  const { services } = loadCompose();
  let fakes: string;

  beforeEach(() => {
    fakes = mkdtempSync(path.join(tmpdir(), 'orderhub-deploy-'));
  });
  afterEach(() => {
    rmSync(fakes, { recursive: true, force: true });
  });

  function fakeCommand(name: string, body: string) {
    const file = path.join(fakes, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
  }

  function runScript(script: string, env: Record<string, string>) {
    return execFileSync('sh', [script], {
      env: { PATH: `${fakes}:${process.env.PATH}`, FAKE_STATE: fakes, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  const calls = () => readFileSync(path.join(fakes, 'calls'), 'utf8').trim().split('\n');

  describe('Temporal namespace setup', () => {
    const service = services[namespaceSetupService(services)];
    const env: Record<string, string> = { ...environmentOf(service), SETUP_RETRY_DELAY: '0' };

    beforeEach(() => {
      // The frontend's name resolves to IPv6 first, as it can on a compose network.
      fakeCommand('getent', 'printf "::1 STREAM temporal\\n::1 DGRAM\\n127.0.0.7 STREAM\\n127.0.0.7 DGRAM\\n"');
      // A Temporal CLI that keeps namespaces and search attributes in files, and records each call.
      fakeCommand(
        'temporal',
        `printf '%s\\n' "$*" >> "$FAKE_STATE/calls"
shift 2
case "$1 $2 $3" in
  "operator cluster health")
    count=$(cat "$FAKE_STATE/health-checks" 2>/dev/null || echo 0); echo $((count + 1)) > "$FAKE_STATE/health-checks"
    [ "$count" -ge "\${UNHEALTHY_CHECKS:-0}" ] ;;
  "operator namespace describe") [ -f "$FAKE_STATE/namespace-$5" ] ;;
  "operator namespace create") touch "$FAKE_STATE/namespace-$5" ;;
  "operator search-attribute list") [ -f "$FAKE_STATE/namespace-$5" ] && printf '  Name  Type\\n  WorkflowId  Keyword\\n' && cat "$FAKE_STATE/attributes" 2>/dev/null; true ;;
  "operator search-attribute create") printf '  %s  %s\\n' "$7" "$9" >> "$FAKE_STATE/attributes" ;;
  *) echo "unexpected call: $*" >&2; exit 2 ;;
esac`,
      );
    });

    const created = () =>
      Object.fromEntries(
        calls()
          .filter((call) => call.includes('search-attribute create'))
          .map((call) => [/--name (\S+)/.exec(call)![1], /--type (\S+)/.exec(call)![1]]),
      );

    test('creates the namespace and every Orderhub search attribute once the frontend is healthy', () => {
      runScript(scriptOf(service), { ...env, UNHEALTHY_CHECKS: '2' });
      expect(calls().filter((call) => call.includes('cluster health'))).toHaveLength(3);
      expect(calls()).toContainEqual(expect.stringMatching(`operator namespace create --namespace ${env.TEMPORAL_NAMESPACE} `));
      expect(created()).toEqual(ORDER_SEARCH_ATTRIBUTES);
      for (const call of calls()) expect(call).toMatch(/^--address 127\.0\.0\.7:7233 /);
    });

    test('leaves an existing namespace and search attributes alone when run again', () => {
      runScript(scriptOf(service), env);
      rmSync(path.join(fakes, 'calls'));
      runScript(scriptOf(service), env);
      expect(calls().filter((call) => / create /.test(call))).toEqual([]);
    });

    test('fails instead of registering nothing when the frontend never becomes healthy', () => {
      expect(() => runScript(scriptOf(service), { ...env, UNHEALTHY_CHECKS: '1000', SETUP_ATTEMPTS: '3' })).toThrow();
      expect(calls()).toHaveLength(3);
    });
  });

  test('the schema job creates and migrates both Temporal databases with the PostgreSQL 12 plugin', () => {
    const schemaService = Object.values(services).find((s) => 'SQL_PASSWORD' in environmentOf(s))!;
    fakeCommand('temporal-sql-tool', `printf '%s\\n' "$*" >> "$FAKE_STATE/calls"`);
    runScript(scriptOf(schemaService), environmentOf(schemaService));
    const env = environmentOf(schemaService);
    for (const call of calls()) {
      expect(call).toMatch(new RegExp(`^--plugin postgres12 --ep ${env.POSTGRES_SEEDS} -p ${env.DB_PORT} -u ${env.POSTGRES_USER} `));
    }
    const steps = calls().map((call) => call.replace(/^.* --db /, ''));
    expect(steps).toEqual([
      'temporal create',
      'temporal setup-schema -v 0.0',
      'temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned',
      'temporal_visibility create',
      'temporal_visibility setup-schema -v 0.0',
      'temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned',
    ]);
  });

  describe('MongoDB replica-set healthcheck', () => {
    const healthcheck = commandText(services.mongodb.healthcheck?.test as string[]);
    const [, source] = Object.entries(bindMounts(services.mongodb)).find(([target]) => healthcheck.includes(target))!;
    const script = readFileSync(path.join(repoRoot, source), 'utf8');

    // Runs the script as mongosh would, against a fake server in the given state; returns the exit code.
    function check(server: { initiated: boolean; primary: boolean }) {
      const initiated: unknown[] = [];
      const exit = new Error('quit');
      let code = 0;
      const context = {
        rs: {
          status: () => {
            if (!server.initiated) throw Object.assign(new Error('no replset config has been received'), { codeName: 'NotYetInitialized' });
            return { ok: 1 };
          },
          initiate: (config: unknown) => {
            initiated.push(config);
            server.initiated = true;
            return { ok: 1 };
          },
        },
        db: { hello: () => ({ isWritablePrimary: server.primary }) },
        quit: (status = 0) => {
          code = status;
          throw exit;
        },
      };
      try {
        vm.runInNewContext(script, context);
      } catch (error) {
        if (error !== exit) throw error;
      }
      return { code, initiated };
    }

    test('initiates rs0 with the host and port the app connects to, and reports unhealthy until primary', () => {
      const mongo = new URL(environmentOf(services.api).MONGODB_URL);
      const { code, initiated } = check({ initiated: false, primary: false });
      expect(code).not.toBe(0);
      expect(initiated).toEqual([{ _id: 'rs0', members: [{ _id: 0, host: `${mongo.hostname}:${mongo.port}` }] }]);
    });

    test('reports healthy once the node is primary, without initiating again', () => {
      expect(check({ initiated: true, primary: true })).toEqual({ code: 0, initiated: [] });
    });
  });
});

describe('Dockerfile', () => {
  // Instructions with line continuations joined and comments dropped.
  const instructions = read('Dockerfile')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
  const all = (keyword: string) => instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

  // The image that runs: the last stage (an earlier one builds the console with the dev dependencies).
  const finalStage = instructions.slice(instructions.map((i) => i.keyword).lastIndexOf('FROM'));

  test('builds from a glibc-based Node 20 image, as the Temporal SDK needs', () => {
    const from = all('FROM');
    expect(from.length).toBeGreaterThanOrEqual(1);
    for (const image of from)
      expect(image).toMatch(/^node:20(\.\d+){0,2}-(bookworm|bullseye|trixie)(-slim)?(@sha256:[0-9a-f]+)?( AS \w+)?$/);
    expect(from.at(-1)).not.toMatch(/ AS /);
  });

  test('installs only production dependencies in the image that runs, exactly as locked', () => {
    const install = finalStage.find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))?.args;
    expect(install).toMatch(/--omit=dev/);
    const lockCopied = finalStage.findIndex((i) => i.keyword === 'COPY' && i.args.includes('package-lock.json'));
    const installed = finalStage.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(lockCopied).toBeGreaterThanOrEqual(0);
    expect(lockCopied).toBeLessThan(installed);
  });

  test('carries the console built in its own stage', () => {
    expect(finalStage.some((i) => i.keyword === 'COPY' && /^--from=\w+ \S*api\/console\/dist api\/console\/dist$/.test(i.args))).toBe(true);
  });

  test('runs the app as a non-root user', () => {
    const user = all('USER').at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  test('keeps node_modules, git history and secrets out of the build context', () => {
    const ignored = read('.dockerignore')
      .split(/\r?\n/)
      .map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.git', '.env']));
  });
});
