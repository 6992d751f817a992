import { DEV_API_KEY } from '../worker/config';
import { LocalOrderhub } from './local-orderhub';

// `npm start`: the local stack (kept in .data/), then the worker and the API with prefixed output.

const log = (msg: string) => console.log(`[start] ${msg}`);

let orderhub: LocalOrderhub | undefined;
let shuttingDown = false;

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0, 'SIGINT'));
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));

  orderhub = new LocalOrderhub({
    apiPort: Number(process.env.PORT || 3000),
    log,
    onAppExit: (name, reason) => void shutdown(1, `${name} exited (${reason})`),
  });
  if (!(await orderhub.start())) return;

  const { apiUrl } = orderhub;
  const lines = [
    '',
    'Orderhub is running',
    `  API:          ${apiUrl}`,
    `  API docs:     ${apiUrl}/docs`,
    `  OpenAPI:      ${apiUrl}/openapi.json`,
    `  Temporal UI:  ${orderhub.temporalUiUrl}`,
    ...(process.env.ORDERHUB_API_KEY ? [] : [`  dev API key:  ${DEV_API_KEY}`]),
    'Press Ctrl-C to stop.',
    '',
  ];
  console.log(lines.join('\n'));
}

async function shutdown(code: number, reason: string): Promise<void> {
  // The terminal, npm and tsx may each deliver the same Ctrl-C: act on the first only.
  if (shuttingDown) return;
  shuttingDown = true;
  log(`${reason}: stopping`);
  try {
    await orderhub?.stop();
  } catch (err) {
    console.error(err);
    code = code || 1;
  }
  process.exit(code);
}

main().catch(async (err: Error) => {
  console.error(`[start] ${err.message}`);
  await shutdown(1, 'start failed');
});
