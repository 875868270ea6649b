package io.tasker.node;

/** Durability on a real PostgreSQL journal. */
class PostgresDurabilityTest extends DurabilityContractTest {
  @Override
  TaskerBuilder withJournal(TaskerBuilder builder, String name) {
    return TestJournals.postgres(builder, name);
  }
}
