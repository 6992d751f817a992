// Replays recorded workflow histories (binary protobuf, temporal.api.history.v1.History) against a
// workflow bundle, in a plain Node process, and prints [{ file, error? }] as JSON after a marker line.
// Usage: node replay-histories.cjs <bundle path> <history file>...
// Binary, not the JSON `temporal workflow show -o json` prints: historyFromJSON fails here ("type must be
// a Type") because @temporalio/common and @temporalio/proto each carry their own copy of protobufjs.
const { readFileSync } = require('node:fs');
const { basename } = require('node:path');
const { Worker } = require('@temporalio/worker');
const { temporal } = require('@temporalio/proto');
const { Runtime, DefaultLogger } = require('@temporalio/worker');

const MARKER = '@@replay-results@@';

async function main() {
  const [bundle, ...files] = process.argv.slice(2);
  Runtime.install({ logger: new DefaultLogger('ERROR', () => undefined) });
  const histories = files.map((file) => ({
    workflowId: basename(file),
    history: temporal.api.history.v1.History.decode(readFileSync(file)),
  }));
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: bundle }, replayName: 'history-replay' }, histories)) {
    results.push({ file: r.workflowId, ...(r.error && { error: `${r.error.name}: ${r.error.message}` }) });
  }
  // Temporal's core logs to stdout as well: the results follow a marker line.
  process.stdout.write(`\n${MARKER}\n${JSON.stringify(results)}\n`);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
