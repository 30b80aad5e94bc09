-- Realistic data for the Endpoint Statistics schema (schema.sql), generated in SQL for speed.
--
--   psql -X -v ON_ERROR_STOP=1 -v rows=100000 -v days=7 -v seed=0.42 -f scripts/backup/seed.sql
--
-- rows: requests to add (default 10000); days: how far back they reach (default 7);
-- until: the newest request's time (default now);
-- seed: setseed() value in [-1, 1] for reproducible values (default 0.42).
-- Requests are spread evenly over the `days` days up to `until`, ids in time order, with a
-- skewed endpoint popularity, mostly 2xx/3xx status codes, some 4xx and a few 5xx, and
-- log-normal latencies (slower for errors). Hourly aggregates are then rebuilt.

\if :{?rows}
\else
  \set rows 10000
\endif
\if :{?days}
\else
  \set days 7
\endif
\if :{?until}
\else
  \set until now
\endif
\if :{?seed}
\else
  \set seed 0.42
\endif

BEGIN;

SELECT setseed(:seed) AS _seeded \gset

INSERT INTO endpoints (method, path)
VALUES ('GET', '/api/v1/health'),
       ('GET', '/api/v1/endpoints'),
       ('POST', '/api/v1/endpoints'),
       ('GET', '/api/v1/endpoints/{id}'),
       ('PUT', '/api/v1/endpoints/{id}'),
       ('DELETE', '/api/v1/endpoints/{id}'),
       ('GET', '/api/v1/stats'),
       ('GET', '/api/v1/stats/summary'),
       ('GET', '/api/v1/stats/hourly'),
       ('GET', '/api/v1/stats/top'),
       ('GET', '/api/v1/stats/errors'),
       ('GET', '/api/v1/stats/latency'),
       ('POST', '/api/v1/events'),
       ('POST', '/api/v1/events/batch'),
       ('GET', '/api/v1/events'),
       ('GET', '/api/v1/clients'),
       ('POST', '/api/v1/clients'),
       ('PATCH', '/api/v1/clients/{id}'),
       ('POST', '/api/v1/auth/token'),
       ('POST', '/api/v1/auth/refresh'),
       ('GET', '/api/v1/export.csv'),
       ('GET', '/metrics'),
       ('HEAD', '/api/v1/health'),
       ('OPTIONS', '/api/v1/stats')
ON CONFLICT ON CONSTRAINT endpoints_method_path_key DO NOTHING;

INSERT INTO requests (endpoint_id, requested_at, status_code, latency_ms, response_bytes, client_ip, user_agent)
SELECT e.ids[1 + floor(power(s.r1, 2.2) * e.n)::int],
       :'until'::timestamptz - make_interval(secs => (:rows - s.g) * (:days * 86400.0 / :rows) + s.r2),
       s.status,
       round((exp(ln(CASE WHEN s.status >= 500 THEN 180 ELSE 35 END)
                  + 0.8 * sqrt(-2 * ln(1 - s.r3)) * cos(2 * pi() * s.r4)))::numeric, 2)::real,
       CASE WHEN s.status IN (204, 304) THEN 0 ELSE 180 + floor(s.r5 * s.r5 * 24000)::int END,
       '10.0.0.0'::inet + floor(s.r6 * 65536)::bigint,
       (ARRAY['python-requests/2.32.3',
              'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
              'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
              'curl/8.8.0',
              'Go-http-client/2.0',
              'kube-probe/1.30',
              'Prometheus/2.53.2'])[1 + floor(s.r6 * s.r5 * 7)::int]
FROM (SELECT g,
             random() AS r1, random() AS r2, random() AS r3,
             random() AS r4, random() AS r5, random() AS r6,
             CASE WHEN x < 0.880 THEN 200
                  WHEN x < 0.910 THEN 201
                  WHEN x < 0.925 THEN 204
                  WHEN x < 0.950 THEN 304
                  WHEN x < 0.965 THEN 400
                  WHEN x < 0.975 THEN 401
                  WHEN x < 0.988 THEN 404
                  WHEN x < 0.992 THEN 429
                  WHEN x < 0.997 THEN 500
                  WHEN x < 0.999 THEN 502
                  ELSE 503 END AS status
      FROM (SELECT g, random() AS x FROM generate_series(1, :rows) AS g) AS base) AS s,
     (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM endpoints) AS e;

-- Rebuild the hourly aggregates of the hours that have requests.
INSERT INTO endpoint_stats_hourly (endpoint_id, hour, request_count, error_count, latency_p50_ms, latency_p95_ms, latency_max_ms)
SELECT endpoint_id,
       date_trunc('hour', requested_at),
       count(*),
       count(*) FILTER (WHERE status_code >= 500),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms),
       max(latency_ms)
FROM requests
GROUP BY 1, 2
ON CONFLICT (endpoint_id, hour) DO UPDATE
SET request_count = EXCLUDED.request_count,
    error_count = EXCLUDED.error_count,
    latency_p50_ms = EXCLUDED.latency_p50_ms,
    latency_p95_ms = EXCLUDED.latency_p95_ms,
    latency_max_ms = EXCLUDED.latency_max_ms;

COMMIT;

ANALYZE endpoints;
ANALYZE requests;
ANALYZE endpoint_stats_hourly;
