-- Sandbox platform (seed 000): events reported by sandbox workers. A sandbox
-- whose last event is old is a zombie.
CREATE TABLE IF NOT EXISTS sandbox_events (
  id BIGSERIAL PRIMARY KEY,
  sandbox_id VARCHAR(100) NOT NULL,
  event_type VARCHAR(50) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
