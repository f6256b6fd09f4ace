-- Watchdog (seed 004): operations whose state the API reports. A RUNNING
-- operation whose last_state_update_timestamp is old is a zombie.
-- status: PENDING | RUNNING | COMPLETED | FAILED | CANCELLED.
CREATE TABLE IF NOT EXISTS operations (
  id BIGSERIAL PRIMARY KEY,
  status VARCHAR(20) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_state_update_timestamp TIMESTAMPTZ NOT NULL DEFAULT now()
);
