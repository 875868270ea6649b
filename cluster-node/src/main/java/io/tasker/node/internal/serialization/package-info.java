/**
 * Internal to Tasker: how its events and cluster messages are serialized (the object mapper of
 * Pekko's {@code jackson-cbor} binding).
 */
package io.tasker.node.internal.serialization;
