-- Shepherd (seed 002): the tables the `shepherd` preset reads, as shepherd's
-- own shepherd_db/init_db.sql creates them (columns the preset ignores omitted).
-- state: QUEUED | RUNNING | COMPLETED (| ERROR); domain: the target ARA.
CREATE TABLE IF NOT EXISTS shepherd_brain (
  qid varchar(255) PRIMARY KEY,
  start_time TIMESTAMP,
  stop_time TIMESTAMP,
  domain TEXT,
  state TEXT,
  status TEXT
);

-- One row per outstanding callback; rows whose query is COMPLETED are leaks.
-- There is no timestamp: a callback's age is its parent query's age.
CREATE TABLE IF NOT EXISTS callbacks (
  query_id varchar(255) REFERENCES shepherd_brain(qid),
  callback_id varchar(255),
  otel_trace varchar(255)
);
