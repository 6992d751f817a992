import path from 'node:path';
import { DEV_API_KEY } from '../worker/config';
import { LocalOrderhub } from './local-orderhub';
import { isPortOpen } from './stack';
import { REPO_ROOT } from './tools';
import { OrderhubApi } from './demo/orderhub-api';
import { FAST_PACE, runDemo, STEADY_PACE, type OrderOutcome } from './demo/run';
import { CONNECTION_ID, DEMO_USER, SHOP_DOMAIN, SHOPIFY_ONLINE_LOCATION, WEBHOOK_SECRET } from './demo/sample';
import { ShopifyStandIn } from './demo/shopify-stand-in';

// `npm run demo [-- --fast]`: Orderhub with a sample business and a stream of orders in every state.
// Uses the Orderhub already answering on PORT (an `npm start`), else starts one as `npm start` does. The
// Shopify stand-in answers until Ctrl-C, which pauses the demo connection and stops what the demo started.

const log = (msg: string) => console.log(`[demo] ${msg}`);
const USAGE = `usage: npm run demo [-- --fast]
  --fast   send the orders and take their steps without pauses (about a minute instead of three)`;

let orderhub: LocalOrderhub | undefined;
let shop: ShopifyStandIn | undefined;
let api: OrderhubApi | undefined;
let connectionReady = false;
let shuttingDown = false;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--fast');
  if (unknown.length > 0) {
    console.error(`unknown argument${unknown.length > 1 ? 's' : ''} ${unknown.join(' ')}\n${USAGE}`);
    process.exit(2);
  }
  const fast = args.includes('--fast');
  process.on('SIGINT', () => void shutdown(0, 'SIGINT'));
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));

  const apiPort = Number(process.env.PORT || 3000);
  const apiKey = process.env.ORDERHUB_API_KEY || DEV_API_KEY;
  api = new OrderhubApi(`http://127.0.0.1:${apiPort}`, apiKey);
  let temporalUiUrl = process.env.TEMPORAL_UI_URL || 'http://127.0.0.1:8233';
  let logDir: string | undefined;
  const health = await api.health();
  if (health === 200) {
    log(`using the Orderhub already running at ${api.baseUrl}`);
  } else if (health !== 0 || (await isPortOpen(apiPort))) {
    throw new Error(
      `port ${apiPort} is taken, but not by a healthy Orderhub (GET /health answered ${health || 'nothing'}); set PORT to use another`,
    );
  } else {
    logDir = path.join(REPO_ROOT, '.data', 'logs');
    log(`starting Orderhub as npm start does (worker and API logs in ${path.relative(process.cwd(), logDir) || logDir})`);
    orderhub = new LocalOrderhub({
      apiPort,
      log,
      appLogDir: logDir,
      onAppExit: (name, reason) => void shutdown(1, `${name} exited (${reason}); see ${path.join(logDir!, `${name}.log`)}`),
    });
    if (!(await orderhub.start())) return;
    temporalUiUrl = orderhub.temporalUiUrl;
  }

  shop = new ShopifyStandIn({ shopDomain: SHOP_DOMAIN, webhookSecret: WEBHOOK_SECRET, onlineLocationId: SHOPIFY_ONLINE_LOCATION, log });
  await shop.start();
  log(`Shopify stand-in (${SHOP_DOMAIN}) answering at ${shop.url}`);
  connectionReady = true;
  const started = Date.now();
  const outcomes = await runDemo({ api, shop, pace: fast ? FAST_PACE : STEADY_PACE, log });
  if (shuttingDown) return;
  log(`done in ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(summary(api.baseUrl, apiKey, temporalUiUrl, outcomes, logDir));
}

function summary(apiUrl: string, apiKey: string, temporalUiUrl: string, outcomes: OrderOutcome[], logDir: string | undefined): string {
  const width = Math.max(...outcomes.map((o) => o.orderId.length));
  const statusWidth = Math.max(...outcomes.map((o) => o.status.length));
  const key = process.env.ORDERHUB_API_KEY ? 'the key in ORDERHUB_API_KEY' : apiKey;
  return [
    '',
    'The demo is in place. Where to look:',
    `  Console:      ${apiUrl}/console   (sign in as ${DEMO_USER.email} / ${DEMO_USER.password})`,
    `  Temporal UI:  ${temporalUiUrl}   (one workflow per order; try the query OrderStatus = "needs_attention")`,
    `  bull-board:   ${apiUrl}/admin/queues   (signed in to the console, or with the API key)`,
    `  API:          ${apiUrl}   (docs at ${apiUrl}/docs; API key: ${key})`,
    `  Shopify:      ${shop?.url} stands in for ${SHOP_DOMAIN} (connection ${CONNECTION_ID}): it got ${shopCalls()}`,
    ...(logDir ? [`  Logs:         ${logDir}/worker.log and api.log`] : []),
    '',
    'The orders:',
    ...outcomes.map(
      (o) =>
        `  ${o.orderId.padEnd(width)}  ${o.status.padEnd(statusWidth)}  ${o.story}${o.returns.length ? `; ${o.returns.join(', ')}` : ''}`,
    ),
    '',
    `Running it again changes nothing. Press Ctrl-C to stop${orderhub ? ' Orderhub and' : ''} the Shopify stand-in.`,
    '',
  ].join('\n');
}

function shopCalls(): string {
  const r = shop!.received;
  return `${r.inventoryUpdates} stock levels, ${r.fulfillments} fulfillments, ${r.cancellations} cancellations and ${r.refunds} refunds`;
}

// The connection is paused (its schedules and stock pushes stop calling a stand-in that is gone), then the
// stand-in stops, then whatever the demo started.
async function shutdown(code: number, reason: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`${reason}: stopping`);
  try {
    if (connectionReady && api) {
      const paused = await api.request('PATCH', `/connections/${CONNECTION_ID}`, { enabled: false }).catch(() => undefined);
      if (paused?.status === 200) log(`connection ${CONNECTION_ID} paused (the next npm run demo enables it again)`);
    }
    await shop?.stop();
    await orderhub?.stop();
  } catch (err) {
    console.error(err);
    code = code || 1;
  }
  process.exit(code);
}

main().catch(async (err: Error) => {
  console.error(`[demo] ${err.message}`);
  await shutdown(1, 'demo failed');
});
