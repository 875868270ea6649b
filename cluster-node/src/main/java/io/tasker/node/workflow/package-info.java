/**
 * Internal to Tasker: not part of its API, changed without notice. Workflow executions (the
 * sharded entity) and input templates. Applications use {@code io.tasker.node.Tasker}'s
 * workflow methods and {@code io.tasker.node.WorkflowDefinition}.
 */
package io.tasker.node.workflow;
