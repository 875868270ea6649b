package io.tasker.spring;

import io.tasker.node.HandlerOptions;
import io.tasker.node.TaskContext;
import io.tasker.node.TaskType;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A handler bean for the tests: greets, and remembers whom. */
final class Greet implements TaskerHandler<Greet.Person> {
  record Person(String name) {}

  static final TaskType<Person> TYPE = TaskType.of("greet", Person.class);

  final List<String> greeted = new CopyOnWriteArrayList<>();

  @Override
  public TaskType<Person> type() {
    return TYPE;
  }

  @Override
  public void options(HandlerOptions options) {
    options.queue("greetings");
  }

  @Override
  public Object handle(Person person, TaskContext context) {
    greeted.add(person.name());
    return "hello " + person.name();
  }
}
