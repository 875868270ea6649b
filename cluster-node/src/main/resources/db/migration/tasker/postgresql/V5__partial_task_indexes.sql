-- Version 5: a task's start (AttemptStarted) and finish (its outcome) each rewrite its row in
-- tasker_task_index with a new status, so neither is a HOT update and each adds an entry to every
-- index whose predicate the new row matches. Three indexes only ever serve rows in one state:
-- they become partial, and a row enters them only in that state. The waker's scan
-- (wake_at <= ?) skips finished rows, the parked lookup reads SCHEDULED rows without a wake time,
-- retention and the error rate read finished rows (their queries name the statuses as literals,
-- which PostgreSQL needs to use a partial index). Per task, start and finish now add 8 index
-- entries instead of 12, and the first row 4 instead of 6 (see docs/benchmarks.md, issue 18).
-- The parked index no longer holds status and wake_at: its predicate fixes both.
-- Built inside the migration's transaction: writes to the table wait until it is done (seconds
-- per million rows).
DROP INDEX IF EXISTS tasker_task_index_wake_idx;
CREATE INDEX tasker_task_index_wake_idx ON tasker_task_index (wake_at)
  WHERE wake_at IS NOT NULL;
DROP INDEX IF EXISTS tasker_task_index_parked_idx;
CREATE INDEX tasker_task_index_parked_idx ON tasker_task_index (queue, priority DESC, run_at, task_id)
  WHERE status = 'SCHEDULED' AND wake_at IS NULL;
DROP INDEX IF EXISTS tasker_task_index_finished_idx;
CREATE INDEX tasker_task_index_finished_idx ON tasker_task_index (status, updated_at)
  WHERE status IN ('SUCCEEDED', 'DEAD', 'CANCELLED');
