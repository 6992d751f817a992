// Worker settings for the embedded store (FerretDB on PostgreSQL, all on one small machine): what
// `npm start`, the bench and the drills run the worker with. `npm run bench -- --tune` measures others.
export const EMBEDDED_TUNING = { activities: 20, workflowTasks: 10, cachedWorkflows: 2000 } as const;
