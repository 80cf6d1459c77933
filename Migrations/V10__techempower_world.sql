-- TechEmpower Framework Benchmarks: the World table, 10,000 rows with random numbers 1..10000
-- (the Benchmarks example's /db, /queries and /updates). Same shape as the anchors' schema.
CREATE TABLE world (
    id integer NOT NULL PRIMARY KEY,
    randomnumber integer NOT NULL DEFAULT 0
);
INSERT INTO world (id, randomnumber)
SELECT x, 1 + floor(random() * 10000)::int FROM generate_series(1, 10000) AS x;
ANALYZE world;
