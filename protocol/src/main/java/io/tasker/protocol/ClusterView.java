package io.tasker.protocol;

import java.util.List;
import java.util.Set;

/**
 * The cluster as one node sees it: its members, and how task and queue shards are spread.
 *
 * @param self the address of the node that answered
 * @param members every member with its status and roles
 * @param distribution per entity type and node: shards hosted and entities alive in them; a
 *     node that does not answer within a few seconds (unreachable, busy) is left out
 */
public record ClusterView(String self, List<Member> members, List<Distribution> distribution) {

  public ClusterView {
    members = List.copyOf(members);
    distribution = List.copyOf(distribution);
  }

  /**
   * @param address the member's cluster address
   * @param status its membership status (Up, Leaving, Down, ...)
   * @param roles its roles (worker, gateway)
   * @param reachable false while the answering node cannot reach it (it may have died: it is
   *     downed and removed after the split-brain resolver's stable-after)
   */
  public record Member(String address, String status, Set<String> roles, boolean reachable) {}

  /**
   * @param entityType {@code Task} or {@code Queue}
   * @param address the node
   * @param shards shards of that type the node hosts
   * @param entities entities alive in them (passivated tasks are not counted)
   */
  public record Distribution(String entityType, String address, int shards, int entities) {}
}
