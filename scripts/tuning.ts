// Worker settings for the embedded store (FerretDB on PostgreSQL, all on one small machine): what
// `npm start`, the bench and the drills run the worker with. `npm run bench -- --tune` measures others.
export const EMBEDDED_TUNING = { activities: 20, workflowTasks: 10, cachedWorkflows: 2000 } as const;

// Store operations each process (API, worker) has in FerretDB at once. FerretDB v1 on PostgreSQL holds
// one PostgreSQL connection for an update's read while it takes a second for the write, so its pool
// must be at least twice the operations all clients can have in flight, or concurrent updates deadlock
// waiting for each other's connections (scripts/stack.ts sizes FerretDB's pool for that).
export const EMBEDDED_MONGO_POOL_SIZE = 25;
