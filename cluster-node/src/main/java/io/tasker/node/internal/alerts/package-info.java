/**
 * Internal to Tasker: the per-queue alerts (thresholds on the task index's counts), evaluated
 * by a cluster singleton.
 */
package io.tasker.node.internal.alerts;
