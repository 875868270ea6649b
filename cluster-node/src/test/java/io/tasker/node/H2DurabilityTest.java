package io.tasker.node;

/** Durability on the embedded H2 file journal. */
class H2DurabilityTest extends DurabilityContractTest {
  @Override
  TaskerBuilder withJournal(TaskerBuilder builder, String name) {
    return TestJournals.h2(builder, name);
  }
}
