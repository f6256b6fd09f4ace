-- Sandbox platform (seed 000): tasks and the worker heartbeat table the
-- `tasks` preset reads. worker_heartbeats is the seed's proposed schema.
-- status: pending | assigned | running | completed | failed;
-- updated_at: when the task entered its current status.
CREATE TABLE IF NOT EXISTS tasks (
  id BIGSERIAL PRIMARY KEY,
  status VARCHAR(20) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS worker_heartbeats (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  worker_type VARCHAR(50) NOT NULL,  -- 'orchestrator' | 'sandbox'
  worker_id VARCHAR(100) NOT NULL,
  last_heartbeat TIMESTAMP WITH TIME ZONE NOT NULL,
  status VARCHAR(20) NOT NULL,       -- 'healthy' | 'stale' | 'down' (written by workers; the preset derives it from last_heartbeat)
  metadata JSONB,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_worker_heartbeats_type_status ON worker_heartbeats(worker_type, status);
CREATE INDEX IF NOT EXISTS idx_worker_heartbeats_last_heartbeat ON worker_heartbeats(last_heartbeat);
