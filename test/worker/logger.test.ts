import { temporalLogger } from '../../worker/logger';
import { captureLogs } from '../support/logs';

// The process logger (worker/logger.ts, pino) on its own: no services needed.

test('a line is one JSON object with the level, an ISO time, the process and the fields', () => {
  const logs = captureLogs('info', { process: 'api' });
  logs.log.info('order captured', { orderId: 'order:shopify:1001', channel: 'shopify' });
  const [line] = logs.lines();
  expect(line).toEqual({
    level: 'info',
    time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    process: 'api',
    orderId: 'order:shopify:1001',
    channel: 'shopify',
    msg: 'order captured',
  });
});

test('LOG_LEVEL leaves out what is below it', () => {
  const logs = captureLogs('warn');
  logs.log.debug('d');
  logs.log.info('i');
  logs.log.warn('w');
  logs.log.error('e');
  expect(logs.lines().map((l) => [l.level, l.msg])).toEqual([
    ['warn', 'w'],
    ['error', 'e'],
  ]);
});

test('secrets handed to a log line by name are redacted: headers, cookies, passwords, tokens, keys, webhook and SMTP secrets', () => {
  const logs = captureLogs('debug');
  const secrets = {
    password: 'hunter2-password',
    token: 'ohs_session-token-value',
    apiKey: 'ohk_live_api_key_value',
    headers: { authorization: 'Bearer ohk_bearer_value', cookie: 'orderhub_session=ohs_cookie_value', 'x-api-key': 'xkey-value' },
    req: { headers: { authorization: 'Bearer ohk_nested_bearer', cookie: 'orderhub_session=ohs_nested_cookie' } },
    connection: { id: 'shop-eu', webhookSecret: 'whsec_value', accessToken: 'shpat_value', clientSecret: 'client-secret-value' },
    smtp: { host: 'smtp.example.com', user: 'mailer', pass: 'smtp-pass-value', password: 'smtp-password-value' },
    user: { smtpPassword: 'smtp-password-2', credentials: { key: 'cred-value' } },
  };
  logs.log.warn('connector call failed', { connectionId: 'shop-eu', ...secrets });
  const text = logs.text();
  for (const value of [
    'hunter2-password',
    'ohs_session-token-value',
    'ohk_live_api_key_value',
    'ohk_bearer_value',
    'ohs_cookie_value',
    'xkey-value',
    'ohk_nested_bearer',
    'ohs_nested_cookie',
    'whsec_value',
    'shpat_value',
    'client-secret-value',
    'smtp-pass-value',
    'smtp-password-value',
    'smtp-password-2',
    'cred-value',
  ])
    expect(text).not.toContain(value);
  // What is not a secret stays, and the caller's object is left as it was.
  const [line] = logs.lines();
  expect(line).toMatchObject({
    connectionId: 'shop-eu',
    connection: { id: 'shop-eu', webhookSecret: '[redacted]' },
    smtp: { host: 'smtp.example.com', user: 'mailer' },
  });
  expect(secrets.connection.webhookSecret).toBe('whsec_value');
});

test('an error handed over as an object is logged with its type, message and stack', () => {
  const logs = captureLogs('debug');
  logs.log.error('unhandled error', { error: new TypeError('boom') });
  expect(logs.lines()[0].error).toMatchObject({ type: 'TypeError', message: 'boom', stack: expect.stringContaining('TypeError: boom') });
});

test("Temporal's Logger interface writes the SDK's lines through the same logger, with their fields, at their levels", () => {
  const logs = captureLogs('debug', { process: 'worker' });
  const temporal = temporalLogger(logs.log);
  temporal.info('Worker state changed', { sdkComponent: 'worker', taskQueue: 'orders', state: 'RUNNING', [Symbol('ts')]: 1n });
  temporal.log('DEBUG', 'Workflow started', { sdkComponent: 'worker', workflowId: 'order:shopify:1', workflowType: 'orderWorkflow' });
  temporal.trace('below debug: left out');
  temporal.warn('Activity failed', { activityType: 'reserveStock', error: new Error('no stock') });
  expect(logs.lines()).toEqual([
    expect.objectContaining({
      level: 'info',
      process: 'worker',
      msg: 'Worker state changed',
      sdkComponent: 'worker',
      taskQueue: 'orders',
      state: 'RUNNING',
    }),
    expect.objectContaining({ level: 'debug', msg: 'Workflow started', workflowId: 'order:shopify:1', workflowType: 'orderWorkflow' }),
    expect.objectContaining({ level: 'warn', msg: 'Activity failed', error: expect.objectContaining({ message: 'no stock' }) }),
  ]);
});
