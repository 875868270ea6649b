package io.tasker.protocol;

/**
 * Marker for every message and event that crosses a node boundary or enters the journal. It is
 * bound to Pekko's Jackson CBOR serializer in the node's {@code reference.conf}; Java
 * serialization stays off.
 */
public interface TaskerSerializable {}
