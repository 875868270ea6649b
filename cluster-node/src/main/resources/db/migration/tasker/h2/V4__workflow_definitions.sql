-- Workflow definitions stored over the API (PUT /v1/workflows/{name}): cluster-wide and durable,
-- one row per name and version, never changed once written (a new version is a new row).
CREATE TABLE IF NOT EXISTS tasker_workflow_definition (
  name VARCHAR(64) NOT NULL,
  version INTEGER NOT NULL,
  definition CHARACTER LARGE OBJECT NOT NULL,
  stored_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (name, version));
