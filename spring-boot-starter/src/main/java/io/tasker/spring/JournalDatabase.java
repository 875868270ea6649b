package io.tasker.spring;

import java.util.Objects;

/** The application's database, where Tasker keeps its journal unless tasker.journal.url is set. */
record JournalDatabase(String url, String user, String password) {
  JournalDatabase {
    Objects.requireNonNull(url, "url");
    user = Objects.requireNonNullElse(user, ""); // no user or password: the driver's default
    password = Objects.requireNonNullElse(password, "");
  }
}
