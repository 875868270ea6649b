/**
 * The node's Micrometer meters: one class per concern, each implementing the narrow metrics
 * interface of the package it observes ({@code TaskMetrics}, {@code QueueMetrics}, ...), so the
 * entities know nothing of Micrometer.
 */
package io.tasker.node.internal.metrics;
