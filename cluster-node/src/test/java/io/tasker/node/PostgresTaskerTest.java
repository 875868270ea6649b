package io.tasker.node;

/** The node contract on a real PostgreSQL journal (embedded PostgreSQL 17, started here). */
class PostgresTaskerTest extends TaskerContractTest {
  @Override
  TaskerBuilder withJournal(TaskerBuilder builder, String name) {
    return TestJournals.postgres(builder, "contract_" + name);
  }
}
