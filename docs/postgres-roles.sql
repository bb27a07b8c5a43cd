-- Roles and grants for serving the API from PostgreSQL. Run once, as a superuser, with psql:
--   psql -v ON_ERROR_STOP=1 -d postgres -f docs/postgres-roles.sql
-- Then build with the owner and serve with the reader:
--   DATABASE_URL=postgresql+psycopg://policy_owner@HOST/policy policy-api build
--   DATABASE_URL=postgresql+psycopg://policy_reader@HOST/policy policy-api serve
-- Set passwords (ALTER ROLE … PASSWORD '…') unless the server authenticates otherwise.
--
-- A database set up with an earlier version of this file (tables in `public`) needs, in it:
--   ALTER DEFAULT PRIVILEGES FOR ROLE policy_owner IN SCHEMA public REVOKE SELECT ON TABLES FROM policy_reader;
--   REVOKE ALL ON SCHEMA public FROM PUBLIC, policy_reader;
--   ALTER DEFAULT PRIVILEGES FOR ROLE policy_owner GRANT USAGE ON SCHEMAS TO policy_reader;
--   ALTER DEFAULT PRIVILEGES FOR ROLE policy_owner GRANT SELECT ON TABLES TO policy_reader;
-- and, once no server of the earlier version reads them, the old tables can go: as policy_owner,
--   DROP TABLE public.dataset_info, public.documents, … (every table in public).

-- Each build creates a schema of its own, dataset_<UTC time>, and fills it; the API reads the newest
-- one. Once a build is committed, the schemas older than the newest two are dropped: the previous
-- one stays for the servers that have not switched to the new one yet. `public` is not used.

-- policy_owner creates and fills the dataset schemas (policy-api build); nothing else.
CREATE ROLE policy_owner LOGIN;
-- policy_reader is the API's role: it can read the tables and nothing more.
CREATE ROLE policy_reader LOGIN;

-- C collation: ids and names sort by code point, as in SQLite, so both backends answer alike.
CREATE DATABASE policy OWNER policy_owner TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8';
\connect policy

GRANT CONNECT ON DATABASE policy TO policy_reader;
-- The owner creates schemas because it owns the database; no one needs `public`.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
-- Every schema and table the owner creates, at every build, is readable by the reader, and only
-- readable: granted as the build creates them, in its own transaction.
ALTER DEFAULT PRIVILEGES FOR ROLE policy_owner GRANT USAGE ON SCHEMAS TO policy_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE policy_owner GRANT SELECT ON TABLES TO policy_reader;
-- Belt and braces: the reader's sessions are read-only even if a grant is ever widened by mistake.
ALTER ROLE policy_reader SET default_transaction_read_only = on;
