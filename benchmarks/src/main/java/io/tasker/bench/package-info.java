/** Performance harness for Tasker: each benchmark prints its numbers; nothing here is a test. */
package io.tasker.bench;
