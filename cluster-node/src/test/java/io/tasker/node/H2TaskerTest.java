package io.tasker.node;

/** The node contract on the embedded H2 file journal (the zero-install default). */
class H2TaskerTest extends TaskerContractTest {
  @Override
  TaskerBuilder withJournal(TaskerBuilder builder, String name) {
    return TestJournals.h2(builder, "contract-" + name);
  }
}
