import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { workflowBundlePath } from '../support/paths';

// Orders in flight when a new version of the worker is deployed carry on under the new code, which
// replays their history first: a change that issues different commands for the same history fails them
// with a non-determinism error. These histories were recorded with earlier versions of the order
// workflow (session2__: happy path, cancel, awaiting stock, hold, SLA breach, manual payment,
// needs_attention, pickup, allocation rejection, carrier labels and tracking, a Shopify order; session3__:
// split shipments, tracking updates, uncertain label purchases, shipment notifications behind patched();
// session6__: the phased workflow with commands as Updates (refused, answered, repeated under one id,
// sent while no worker ran, from the CLI), split orders whose parts write the view one state at a time,
// pickup, payment, holds, rejections, labels, tracking and stock given back; session7__: Shopify order edits
// taken before picking (stock released and reserved again), recorded as a notice after picking, and one
// parked on an unknown sku then retried, a split order split again after an edit, and an order waiting
// on an unknown sku, or for stock, fixed by an edit; session8__: lines cancelled before shipment, voided
// or refunded, once under a repeated Idempotency-Key, refused when picked or shipped, given to an order
// waiting for them, and split orders capturing part by part (one with units of its second part cancelled
// after the first shipped, and the split-shipment suite's orders with labels, tracking and re-routing);
// session9__: the return workflow (refunds, review, BORIS receipts, dispositions, store credit, parked and
// retried refunds, channel returns and refunds, return labels bought, entered and voided, tracked by
// webhooks) and exchange orders held until the items are back; session11__: drop-ship orders (sent,
// confirmed, shipped, refused, retried, re-routed, two suppliers, cancelled) and backorders recorded
// before orders could mix stocked and drop-shipped lines, and such mixed orders (shipped in parts,
// cancelled, a refusal beside a shipped stocked part), and (session11__rejections__) backorders whose later
// part a location rejected), finished and still running; each must replay under this code. When the workflow gains a path, record
// its suite's histories with ORDERHUB_RECORD_HISTORIES=<dir> (test/support/stack.ts) and add them here.
const DIR = join(__dirname, 'histories');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.pb'))
  .sort();

function replay(paths: string[]): Promise<{ file: string; error?: string }[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(__dirname, '..', 'support', 'replay-histories.cjs'), workflowBundlePath(), ...paths],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, out, err) => {
        const results = out.split('@@replay-results@@\n')[1];
        if (error || !results) reject(new Error(`replay failed: ${err || error?.message || out}`));
        else resolve(JSON.parse(results));
      },
    );
  });
}

test('every recorded order history replays under the current workflow code', async () => {
  expect(files.length).toBeGreaterThanOrEqual(10);
  const results = await replay(files.map((f) => join(DIR, f)));
  expect(results).toHaveLength(files.length);
  expect(results.filter((r) => r.error)).toEqual([]);
}, 120_000);
