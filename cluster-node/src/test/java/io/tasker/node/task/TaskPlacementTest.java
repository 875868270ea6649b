package io.tasker.node.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tasker.node.task.TaskPlacement.Planner;
import io.tasker.node.task.TaskPlacement.Region;
import io.tasker.protocol.TaskId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TaskPlacementTest {

  private static Region<String> region(String name, Set<String> types, List<String> shards) {
    Set<String> roles = new java.util.HashSet<>(Set.of("worker"));
    types.forEach(type -> roles.add(TaskPlacement.roleFor(type)));
    return new Region<>(name, true, roles, shards);
  }

  private static List<String> shards(String type, int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> type + "#" + i).toList();
  }

  @Test
  void shardOfATaskIsItsTypeAndABucketOfItsId() {
    TaskId id = TaskId.random("email.send");
    String shard = TaskPlacement.shardOf(id.value(), 100);
    assertEquals(shard, TaskPlacement.shardOf(id.value(), 100));
    assertTrue(shard.startsWith("email.send#"), shard);
    assertEquals("email.send", TaskPlacement.typeOfShard(shard));
    int bucket = Integer.parseInt(shard.substring("email.send#".length()));
    assertTrue(bucket >= 0 && bucket < 100);
    assertEquals(null, TaskPlacement.typeOfShard(
        TaskPlacement.shardOf("0f8c2a9e-0000-4000-8000-000000000000", 100)));
  }

  @Test
  void aShardGoesToTheHandlingRegionWithFewestShardsOfItsType() {
    List<Region<String>> regions = List.of(
        region("mail-and-images", Set.of("mail", "image"), shards("image", 0, 1)),
        region("mail-only", Set.of("mail"), shards("mail", 0, 3)),
        region("images-only", Set.of("image"), List.of()));
    assertEquals("mail-and-images", Planner.allocate("mail#7", regions, "requester"));
    assertEquals("images-only", Planner.allocate("image#7", regions, "requester"));
  }

  @Test
  void aTypeNoNodeHandlesIsStoredOnAnyUsableRegionUntilOneDoes() {
    List<Region<String>> regions = List.of(
        region("a", Set.of("mail"), shards("mail", 0, 2)),
        region("b", Set.of("mail"), shards("mail", 2, 3)),
        new Region<>("leaving", false, Set.of("worker"), List.of()));
    assertEquals("b", Planner.allocate("video#1", regions, "requester"));
    assertEquals("requester", Planner.allocate("video#1",
        List.of(new Region<>("leaving", false, Set.of(), List.of())), "requester"));
  }

  @Test
  void regionsWithoutTheHandlerNeverGetTheShardWhileAHandlingOneIsUp() {
    List<Region<String>> regions = List.of(
        region("mail", Set.of("mail"), shards("mail", 0, 50)),
        region("image", Set.of("image"), List.of()));
    for (int i = 0; i < 100; i++) {
      assertEquals("mail", Planner.allocate("mail#" + i, regions, "requester"));
    }
  }

  @Test
  void rebalanceMovesMisplacedShardsOnceAHandlingNodeJoins() {
    List<String> misplaced = shards("video", 0, 4);
    List<Region<String>> regions = List.of(
        region("a", Set.of("mail"), misplaced),
        region("video", Set.of("video"), List.of()));
    assertEquals(Set.copyOf(misplaced), Planner.rebalance(regions, 100));
    assertEquals(Set.of(), Planner.rebalance(
        List.of(region("a", Set.of("mail"), misplaced)), 100), "nowhere better to go");
  }

  @Test
  void rebalanceEvensOutATypeAcrossItsHandlingRegions() {
    List<Region<String>> regions = List.of(
        region("a", Set.of("mail"), shards("mail", 0, 60)),
        region("b", Set.of("mail"), shards("mail", 60, 100)),
        region("joined", Set.of("mail"), List.of()),
        region("other", Set.of("image"), List.of()));
    Set<String> moves = Planner.rebalance(regions, 1000);
    // 100 shards over 3 regions end as 34/33/33 in some order
    long fromA = moves.stream().filter(regions.get(0).shards()::contains).count();
    long fromB = moves.stream().filter(regions.get(1).shards()::contains).count();
    assertEquals(moves.size(), fromA + fromB);
    for (long kept : List.of(60 - fromA, 40 - fromB, (long) moves.size())) {
      assertTrue(kept == 33 || kept == 34, "a region ends with " + kept);
    }
    assertEquals(Set.of(), Planner.rebalance(List.of(
        region("a", Set.of("mail"), shards("mail", 0, 34)),
        region("b", Set.of("mail"), shards("mail", 34, 67)),
        region("c", Set.of("mail"), shards("mail", 67, 100))), 1000), "balanced: nothing moves");
  }

  @Test
  void rebalanceLeavesTheShardsOfAGoneNodeToTheCoordinator() {
    // a crashed node's region lingers in the allocations until the coordinator drops it; a
    // hand-off sent to it would wait out the hand-off timeout
    List<Region<String>> regions = List.of(
        region("a", Set.of("mail"), shards("mail", 0, 5)),
        region("b", Set.of("mail"), shards("mail", 5, 10)),
        new Region<>("crashed", false, Set.of(), shards("mail", 10, 15)));
    assertEquals(Set.of(), Planner.rebalance(regions, 100));
  }

  @Test
  void rebalanceMovesAtMostItsLimitPerRound() {
    List<Region<String>> regions = new ArrayList<>(List.of(
        region("a", Set.of("mail"), shards("mail", 0, 100)),
        region("b", Set.of("mail"), List.of())));
    assertEquals(10, Planner.rebalance(regions, 10).size());
  }
}
