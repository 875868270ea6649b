-- Tasker's task index, the same on H2 and PostgreSQL: one row per task, kept by the task
-- entities (see IndexRow).
CREATE TABLE IF NOT EXISTS tasker_task_index (
  task_id VARCHAR(128) NOT NULL PRIMARY KEY,
  bucket SMALLINT NOT NULL,
  type VARCHAR(64) NOT NULL,
  queue VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL,
  priority INTEGER NOT NULL,
  run_at TIMESTAMP WITH TIME ZONE NOT NULL,
  wake_at TIMESTAMP WITH TIME ZONE,
  lease_until TIMESTAMP WITH TIME ZONE,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  concurrency_key VARCHAR(256),
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  seq_nr BIGINT NOT NULL);
-- the waker's scan: rows to wake by a time (finished tasks have no wake_at)
CREATE INDEX IF NOT EXISTS tasker_task_index_wake_idx ON tasker_task_index (wake_at);
-- listings by queue and status, newest first or by run time
CREATE INDEX IF NOT EXISTS tasker_task_index_queue_idx ON tasker_task_index (queue, status, created_at);
CREATE INDEX IF NOT EXISTS tasker_task_index_run_at_idx ON tasker_task_index (queue, run_at);
-- parked tasks of a queue (SCHEDULED, no wake_at), in the order their queue manager wakes them
-- (finished tasks have no wake_at either: status comes first)
CREATE INDEX IF NOT EXISTS tasker_task_index_parked_idx ON tasker_task_index (queue, status, wake_at, priority DESC, run_at, task_id);
-- retention: finished tasks by age
CREATE INDEX IF NOT EXISTS tasker_task_index_finished_idx ON tasker_task_index (status, updated_at);
-- Schedules' rows, scanned by the same waker workers as the task index (see ScheduleIndex):
-- one row per schedule with the time its entity next needs to be alive.
CREATE TABLE IF NOT EXISTS tasker_schedule_index (
  schedule_id VARCHAR(64) NOT NULL PRIMARY KEY,
  bucket SMALLINT NOT NULL,
  wake_at TIMESTAMP WITH TIME ZONE,
  seq_nr BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS tasker_schedule_index_wake_idx ON tasker_schedule_index (wake_at);
