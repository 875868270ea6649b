/**
 * The {@code tasker} command line ({@link io.tasker.cli.TaskerCli}): an application talking to
 * a node over its HTTP API, not a Java API; everything but the main class is package-private.
 */
package io.tasker.cli;
