-- Workflow definitions stored over the API (PUT /v1/workflows/{name}): cluster-wide and durable,
-- one row per name and version, never changed once written (a new version is a new row).
CREATE TABLE IF NOT EXISTS tasker_workflow_definition (
  name VARCHAR(64) NOT NULL,
  version INTEGER NOT NULL,
  definition TEXT NOT NULL,
  stored_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (name, version));

-- Executions stay listable once ended: a row keeps the execution's workflow, version, status and
-- start; an ended one has no wake_at, so the waker no longer sees it.
ALTER TABLE tasker_workflow_index ADD COLUMN IF NOT EXISTS workflow VARCHAR(64);
ALTER TABLE tasker_workflow_index ADD COLUMN IF NOT EXISTS version INTEGER;
ALTER TABLE tasker_workflow_index ADD COLUMN IF NOT EXISTS status VARCHAR(16);
ALTER TABLE tasker_workflow_index ADD COLUMN IF NOT EXISTS started_at TIMESTAMP WITH TIME ZONE;
CREATE INDEX IF NOT EXISTS tasker_workflow_index_started_idx
  ON tasker_workflow_index (started_at, execution_id);
