-- Roles and grants for serving the API from PostgreSQL. Run once, as a superuser, with psql:
--   psql -v ON_ERROR_STOP=1 -d postgres -f docs/postgres-roles.sql
-- Then build with the owner and serve with the reader:
--   DATABASE_URL=postgresql+psycopg://policy_owner@HOST/policy policy-api build
--   DATABASE_URL=postgresql+psycopg://policy_reader@HOST/policy policy-api serve
-- Set passwords (ALTER ROLE … PASSWORD '…') unless the server authenticates otherwise.

-- policy_owner creates and fills the tables (policy-api build); nothing else.
CREATE ROLE policy_owner LOGIN;
-- policy_reader is the API's role: it can read the tables and nothing more.
CREATE ROLE policy_reader LOGIN;

-- C collation: ids and names sort by code point, as in SQLite, so both backends answer alike.
CREATE DATABASE policy OWNER policy_owner TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8';
\connect policy

GRANT CONNECT ON DATABASE policy TO policy_reader;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO policy_reader;
-- Every table the owner creates, now or at the next build, is readable by the reader, and only readable.
ALTER DEFAULT PRIVILEGES FOR ROLE policy_owner IN SCHEMA public GRANT SELECT ON TABLES TO policy_reader;
-- Belt and braces: the reader's sessions are read-only even if a grant is ever widened by mistake.
ALTER ROLE policy_reader SET default_transaction_read_only = on;
