-- Workflow executions' rows, scanned by the same waker workers as the task index: one row per
-- execution that has not ended, so the waker brings it back after a restart or a node's death.
CREATE TABLE IF NOT EXISTS tasker_workflow_index (
  execution_id VARCHAR(64) NOT NULL PRIMARY KEY,
  bucket SMALLINT NOT NULL,
  wake_at TIMESTAMP WITH TIME ZONE,
  seq_nr BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS tasker_workflow_index_wake_idx ON tasker_workflow_index (wake_at);
