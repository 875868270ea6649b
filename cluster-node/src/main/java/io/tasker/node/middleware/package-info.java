/**
 * Internal: the built-in middlewares ({@link io.tasker.node.Middlewares} makes them) and the
 * reading of {@code tasker.middleware}. Not an API.
 */
package io.tasker.node.middleware;
