-- Version 1: Tasker's tables as Tasker 0.1.0 created them (before migrations), exactly, so a
-- database created then is adopted as version 1 (baseline) and a new one gets the same schema.
-- Never edit a migration once released: add the next version instead (V2__..., V3__...).
-- Pekko persistence JDBC journal and snapshot tables for PostgreSQL (from the plugin's
-- schema/postgres/postgres-create-schema.sql, with guarded index creation).
CREATE TABLE IF NOT EXISTS event_journal(
  ordering BIGSERIAL,
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  deleted BOOLEAN DEFAULT FALSE NOT NULL,
  writer VARCHAR(255) NOT NULL,
  write_timestamp BIGINT,
  adapter_manifest VARCHAR(255),
  event_ser_id INTEGER NOT NULL,
  event_ser_manifest VARCHAR(255) NOT NULL,
  event_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY(persistence_id, sequence_number));
CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON event_journal(ordering);
CREATE TABLE IF NOT EXISTS event_tag(
  event_id BIGINT,
  tag VARCHAR(256),
  PRIMARY KEY(event_id, tag),
  CONSTRAINT fk_event_journal FOREIGN KEY(event_id)
    REFERENCES event_journal(ordering) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS snapshot (
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  created BIGINT NOT NULL,
  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest VARCHAR(255) NOT NULL,
  snapshot_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY(persistence_id, sequence_number));
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
