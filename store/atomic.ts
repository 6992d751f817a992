import {
  MongoServerError,
  type Collection,
  type Document,
  type Filter,
  type OptionalUnlessRequiredId,
  type UpdateFilter,
  type WithId,
} from 'mongodb';

// The store's concurrency primitives. FerretDB v1 (the local store) has no transactions and applies an
// update as read, modify, write back without re-checking its filter, so a guarded $inc or compare-and-set
// is not atomic there. The one atomic step it offers is an insert against a unique index. Every guard in
// store/ is built from the helpers below (insert claims, sequence numbers, version markers), and nothing
// outside store/ relies on how: moving to MongoDB transactions is a change in store/ only.

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

/** Inserts doc unless its _id (or another unique key) is taken. True when this call inserted it. */
export async function insertOnce<T extends Document>(col: Collection<T>, doc: OptionalUnlessRequiredId<T>): Promise<boolean> {
  try {
    await col.insertOne(doc);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** insertOnce, then whichever document holds the _id: ours, or the one inserted first. */
export async function insertOrGet<T extends Document & { _id: unknown }>(
  col: Collection<T>,
  doc: OptionalUnlessRequiredId<T>,
): Promise<{ doc: WithId<T>; inserted: boolean }> {
  if (await insertOnce(col, doc)) return { doc: doc as WithId<T>, inserted: true };
  const found = await col.findOne({ _id: (doc as { _id: unknown })._id } as Filter<T>);
  // Deleted between the two calls: the caller's document is the one that counts now.
  return { doc: (found ?? doc) as WithId<T>, inserted: false };
}

/**
 * An upsert whose racing first writers do not fail: the loser of the insert race updates instead. Only
 * for writes where every racer writes the same value, or where the last writer may win.
 */
export async function upsertRacing<T extends Document>(col: Collection<T>, filter: Filter<T>, update: UpdateFilter<T>): Promise<void> {
  try {
    await col.updateOne(filter, update, { upsert: true });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    await col.updateOne(filter, update);
  }
}

/** A whole-document replace that creates it when missing; the loser of a racing first insert replaces instead. */
export async function replaceRacing<T extends Document & { _id: unknown }>(col: Collection<T>, doc: T): Promise<void> {
  const filter = { _id: doc._id } as Filter<T>;
  try {
    await col.replaceOne(filter, doc, { upsert: true });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    await col.replaceOne(filter, doc);
  }
}

/**
 * The loop of an append at the next sequence number: `attempt` reads the head, decides, and inserts at the
 * next number; it answers 'lost' when another writer took that number first, and then runs again on the new
 * head after a short random pause. Gives up with `contended()` after `attempts` lost races.
 */
export async function appendRacing<T>(attempts: number, attempt: (n: number) => Promise<T | 'lost'>, contended: () => Error): Promise<T> {
  for (let n = 0; n < attempts; n++) {
    const result = await attempt(n);
    if (result !== 'lost') return result;
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(20, 1 + n)));
  }
  throw contended();
}
