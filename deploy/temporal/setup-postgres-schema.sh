#!/bin/sh
# Creates Temporal's two PostgreSQL databases and migrates them to the schema version this
# admin-tools image ships (which matches the server of the same version). Every step is a
# no-op when already done, so it runs on each `docker compose up`, upgrades included.
# temporal-sql-tool reads the password from SQL_PASSWORD.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (the PostgreSQL host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_DIR="${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

migrate() { # database schema-subdirectory
  echo "Migrating $1"
  sql_tool --db "$1" create
  # Only stamps version 0.0 on a new database; an existing one keeps its version.
  sql_tool --db "$1" setup-schema -v 0.0
  sql_tool --db "$1" update-schema -d "$SCHEMA_DIR/$2/versioned"
}

migrate temporal temporal
migrate temporal_visibility visibility
echo "Temporal schema is up to date"
