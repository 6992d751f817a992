-- Orderhub on FerretDB v1 with its PostgreSQL backend: make every index the store declares usable.
--
-- FerretDB v1 stores each collection as a table of one jsonb column (_jsonb) and turns a MongoDB index
-- into a btree on the field's expression, e.g. ((_jsonb -> 'status')). But it pushes an equality filter
-- down as `_jsonb -> 'status' @> '"x"'`, which a btree cannot serve, so PostgreSQL scans the whole table
-- for every lookup, even by _id. A GIN index with jsonb_path_ops on the same expression serves exactly
-- that containment query (and an equality on an array field, such as orders.skus).
--
-- This event trigger mirrors every single-field btree FerretDB creates (each collection's _id index and
-- every createIndex of the store) as such a GIN index, in the same transaction, whichever process or
-- database created it. Installing it is idempotent, and so is the backfill below for tables that
-- existed before it. fastupdate is off: point lookups must not scan a pending list that grows with
-- every insert.

CREATE OR REPLACE FUNCTION orderhub_gin_mirror_name(btree_name text, keyno int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT left(btree_name, 50) || '_' || keyno || '_gin'
$$;

-- Mirrors one btree index (by oid) whose keys are top-level jsonb fields; returns how many GIN indexes it created.
CREATE OR REPLACE FUNCTION orderhub_gin_mirror_index(btree oid) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  idx record;
  keyno int;
  expr text;
  field text;
  made int := 0;
BEGIN
  SELECT c.relname AS index_name, n.nspname AS schema_name, t.relname AS table_name, am.amname, i.indnkeyatts
    INTO idx
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_am am ON am.oid = c.relam
   WHERE i.indexrelid = btree;
  IF NOT FOUND OR idx.amname <> 'btree' THEN
    RETURN 0;
  END IF;
  FOR keyno IN 1 .. idx.indnkeyatts LOOP
    expr := pg_get_indexdef(btree, keyno, true);
    -- (_jsonb -> 'field'::text); nested paths (a.b) are not pushed down by FerretDB v1 and are skipped
    field := substring(expr FROM '^\(?_jsonb -> ''((?:[^'']|'''')*)''::text\)?$');
    CONTINUE WHEN field IS NULL;
    field := replace(field, '''''', '''');
    IF to_regclass(format('%I.%I', idx.schema_name, orderhub_gin_mirror_name(idx.index_name, keyno))) IS NULL THEN
      EXECUTE format('CREATE INDEX %I ON %I.%I USING gin ((_jsonb -> %L) jsonb_path_ops) WITH (fastupdate = off)',
                     orderhub_gin_mirror_name(idx.index_name, keyno), idx.schema_name, idx.table_name, field);
      made := made + 1;
    END IF;
  END LOOP;
  RETURN made;
END
$$;

CREATE OR REPLACE FUNCTION orderhub_gin_mirror_trigger() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  cmd record;
BEGIN
  FOR cmd IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX' AND object_type = 'index' LOOP
    PERFORM orderhub_gin_mirror_index(cmd.objid);
  END LOOP;
END
$$;

DROP EVENT TRIGGER IF EXISTS orderhub_gin_mirror;
CREATE EVENT TRIGGER orderhub_gin_mirror ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION orderhub_gin_mirror_trigger();

-- Backfill: FerretDB tables that already had their btree indexes before the trigger existed.
SELECT count(orderhub_gin_mirror_index(i.indexrelid))
  FROM pg_index i
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = '_jsonb' AND NOT a.attisdropped
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema');

-- FerretDB passes the field name as a parameter (_jsonb -> $1 @> $2): only a plan made for the actual
-- values matches the index expression, so never let PostgreSQL switch a prepared statement to a
-- generic plan.
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = force_custom_plan', current_database());
END $$;
