-- Schema of the Endpoint Statistics application (PostgreSQL 13 or newer).
--
-- The Flask API records every request it serves in `requests` and keeps hourly aggregates
-- per endpoint in `endpoint_stats_hourly`. `requests.requested_at` is the timestamp the
-- restore script reports as RPO evidence (the newest row that survived the restore).
--
-- Idempotent: safe to run again on a database that already has the schema.
--   psql -X -v ON_ERROR_STOP=1 -f scripts/backup/schema.sql

BEGIN;

CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text        PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS endpoints (
    id         integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    method     text        NOT NULL CHECK (method IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS')),
    path       text        NOT NULL CHECK (path LIKE '/%'),
    service    text        NOT NULL DEFAULT 'flask-api',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT endpoints_method_path_key UNIQUE (method, path)
);

CREATE TABLE IF NOT EXISTS requests (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id    integer     NOT NULL REFERENCES endpoints (id),
    requested_at   timestamptz NOT NULL,
    status_code    smallint    NOT NULL CHECK (status_code BETWEEN 100 AND 599),
    latency_ms     real        NOT NULL CHECK (latency_ms >= 0),
    response_bytes integer     NOT NULL DEFAULT 0 CHECK (response_bytes >= 0),
    client_ip      inet,
    user_agent     text
);

CREATE INDEX IF NOT EXISTS requests_requested_at_idx ON requests (requested_at);
CREATE INDEX IF NOT EXISTS requests_endpoint_id_requested_at_idx ON requests (endpoint_id, requested_at);

CREATE TABLE IF NOT EXISTS endpoint_stats_hourly (
    endpoint_id    integer     NOT NULL REFERENCES endpoints (id),
    hour           timestamptz NOT NULL,
    request_count  integer     NOT NULL CHECK (request_count >= 0),
    error_count    integer     NOT NULL CHECK (error_count >= 0),
    latency_p50_ms real,
    latency_p95_ms real,
    latency_max_ms real,
    PRIMARY KEY (endpoint_id, hour)
);

COMMENT ON TABLE requests IS 'One row per API request served; requested_at is the RPO evidence column.';
COMMENT ON TABLE endpoint_stats_hourly IS 'Hourly aggregates per endpoint, rebuilt from requests.';

INSERT INTO schema_migrations (version) VALUES ('0001_initial') ON CONFLICT (version) DO NOTHING;

COMMIT;
