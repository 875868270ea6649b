package io.tasker.node.journal;

/**
 * What an entity persists to store an event together with its {@link TableRow}: {@link
 * JdbcJournal} stores {@link #event()} and writes {@link #row()} in the same transaction. A replay
 * returns the bare event; other journals (the in-memory one of tests) keep the whole value.
 */
public interface EventWithRow {
  Object event();

  TableRow row();
}
