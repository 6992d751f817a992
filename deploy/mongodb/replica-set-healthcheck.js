// mongosh script run by the compose healthcheck of the mongodb service.
// First run: initiates the single-member replica set rs0. Every run: healthy (exit 0) only
// once this node is primary, so the API and worker start against a writable replica set.
// The member host is the compose service name, which is what clients using
// mongodb://mongodb:27017/?replicaSet=rs0 are told to connect to.
try {
  rs.status();
} catch (error) {
  if (error.codeName !== 'NotYetInitialized') throw error;
  rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongodb:27017' }] });
}
if (!db.hello().isWritablePrimary) quit(1);
