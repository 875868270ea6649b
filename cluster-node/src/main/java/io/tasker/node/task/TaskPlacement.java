package io.tasker.node.task;

import io.tasker.protocol.TaskId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.RootActorPath;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Where tasks live: a task runs on a node that has its handler. Task ids name their type, so a
 * task's shard is {@code <type>#<bucket>}; a worker node carries the cluster role
 * {@code handles:<type>} for each handler it registers; the allocation strategy places a type's
 * shards only on nodes with that role, spread evenly among them, and moves them there when such
 * a node joins. A type that no node handles is placed on any worker, where it is stored and
 * waits (its entity does not run a handler it does not have) until a handling node appears and
 * the next rebalance moves it.
 */
public final class TaskPlacement {
  private static final String ROLE_PREFIX = "handles:";
  private static final char BUCKET_SEPARATOR = '#';

  private TaskPlacement() {}

  /** @return the cluster role of nodes that run tasks of {@code type} */
  public static String roleFor(String type) {
    return ROLE_PREFIX + type;
  }

  /** @return the shard of a task: its type and a bucket of its id */
  public static String shardOf(String entityId, int bucketsPerType) {
    int bucket = Math.floorMod(entityId.hashCode(), bucketsPerType);
    String type = TaskId.typeOf(entityId); // every message is routed through here: no regex
    return type == null ? Integer.toString(bucket) : type + BUCKET_SEPARATOR + bucket;
  }

  /** @return the task type a shard holds, or {@code null} for shards of untyped ids */
  static String typeOfShard(String shardId) {
    int separator = shardId.lastIndexOf(BUCKET_SEPARATOR);
    return separator > 0 ? shardId.substring(0, separator) : null;
  }

  /** Routes messages to partitions: a partition's entity id is its shard id ({@link TaskRefs}). */
  public static final class Extractor extends
      ShardingMessageExtractor<ShardingEnvelope<TaskPartition.Message>, TaskPartition.Message> {
    @Override
    public String entityId(ShardingEnvelope<TaskPartition.Message> envelope) {
      return envelope.entityId();
    }

    @Override
    public String shardId(String entityId) {
      return entityId; // one partition per shard
    }

    @Override
    public TaskPartition.Message unwrapMessage(ShardingEnvelope<TaskPartition.Message> envelope) {
      return envelope.message();
    }
  }

  /**
   * One shard region as the planner sees it.
   *
   * @param usable its node is up (not joining, leaving or gone): it may receive shards
   * @param roles its node's cluster roles
   * @param shards the shards it holds
   */
  record Region<R>(R ref, boolean usable, Set<String> roles, List<String> shards) {
    boolean handles(String type) {
      return type == null || roles.contains(roleFor(type));
    }

    long count(String type) {
      return shards.stream().filter(shard -> Objects.equals(typeOfShard(shard), type))
          .count();
    }
  }

  /** The decisions, free of actors so they can be tested on their own. */
  static final class Planner {
    private Planner() {}

    /**
     * @return the usable region handling the shard's type with the fewest shards of that type
     *     (then fewest in all); any usable region if none handles it; {@code fallback} if none
     *     is usable
     */
    static <R> R allocate(String shard, List<Region<R>> regions, R fallback) {
      String type = typeOfShard(shard);
      List<Region<R>> usable = regions.stream().filter(Region::usable).toList();
      List<Region<R>> handling = usable.stream().filter(region -> region.handles(type)).toList();
      return (handling.isEmpty() ? usable : handling).stream()
          .min(Comparator.<Region<R>>comparingLong(region -> region.count(type))
              .thenComparingInt(region -> region.shards().size()))
          .map(Region::ref)
          .orElse(fallback);
    }

    /**
     * @param limit most shards to move in this round
     * @return shards to move: first those on usable regions that do not handle their type (when
     *     some usable region does), then, per type, from the fullest handling region to the
     *     emptiest until they differ by at most one; never shards of unusable regions
     */
    static <R> Set<String> rebalance(List<Region<R>> regions, int limit) {
      Map<String, List<String>> shardsByType =
          new TreeMap<>(Comparator.nullsFirst(Comparator.naturalOrder()));
      regions.forEach(region -> region.shards().forEach(shard ->
          shardsByType.computeIfAbsent(typeOfShard(shard), t -> new ArrayList<>()).add(shard)));
      Set<String> moves = new LinkedHashSet<>();
      for (String type : shardsByType.keySet()) {
        List<Region<R>> handling =
            regions.stream().filter(r -> r.usable() && r.handles(type)).toList();
        if (handling.isEmpty()) {
          continue;
        }
        Map<R, List<String>> held = new HashMap<>();
        handling.forEach(region -> held.put(region.ref(), new ArrayList<>(
            region.shards().stream().filter(s -> Objects.equals(typeOfShard(s), type))
                .toList())));
        // shards of a region whose node is gone or going are the coordinator's to reallocate
        // once that region terminates: a hand-off sent there would wait out its timeout
        List<String> homeless = new ArrayList<>();
        regions.stream().filter(region -> region.usable() && !held.containsKey(region.ref()))
            .forEach(region -> region.shards().stream()
                .filter(s -> Objects.equals(typeOfShard(s), type))
                .forEach(homeless::add));
        // a homeless shard lands on the emptiest handling region, like a moved one
        for (String shard : homeless) {
          moves.add(shard);
          emptiest(held).add(shard);
        }
        while (true) {
          List<String> fullest = fullest(held);
          List<String> emptiest = emptiest(held);
          if (fullest.size() - emptiest.size() <= 1) {
            break;
          }
          String shard = fullest.remove(fullest.size() - 1);
          emptiest.add(shard);
          moves.add(shard);
        }
      }
      return moves.stream().limit(limit)
          .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    private static <R> List<String> emptiest(Map<R, List<String>> held) {
      return held.values().stream().min(Comparator.comparingInt(List::size)).orElseThrow();
    }

    private static <R> List<String> fullest(Map<R, List<String>> held) {
      return held.values().stream().max(Comparator.comparingInt(List::size)).orElseThrow();
    }
  }

  /**
   * The shard allocation strategy of task entities: the planner's decisions over the live
   * cluster state. Rebalancing waits for a calm cluster (every member up, none unreachable) and
   * for the previous round to finish.
   */
  public static final class AllocationStrategy
      extends ShardCoordinator.AbstractShardAllocationStrategy
      implements ShardCoordinator.ActorSystemDependentAllocationStrategy {
    private static final java.time.Duration REGISTRATION_GRACE = java.time.Duration.ofSeconds(10);
    private final double rebalanceShare;
    // used by the coordinator actor only
    private final Map<Address, Long> unregisteredSince = new HashMap<>();
    private volatile ExtendedActorSystem system;
    private volatile Cluster cluster;

    /** @param rebalanceShare the share of all shards that one rebalance round may move */
    public AllocationStrategy(double rebalanceShare) {
      this.rebalanceShare = rebalanceShare;
    }

    @Override
    public void start(ActorSystem system) {
      this.system = (ExtendedActorSystem) system;
      this.cluster = Cluster.get(system);
    }

    @Override
    public Future<ActorRef> allocateShard(
        ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> allocations) {
      Address registering = registeringNode(typeOfShard(shardId), allocations);
      if (registering != null) {
        // the region of that node, not registered yet: the coordinator ignores the answer (a
        // debug line), the requesting region asks again in a moment, and by then it may be
        return Future.successful(system.provider().resolveActorRef(
            RootActorPath.apply(registering, "/").$div("system").$div("sharding")
                .$div(TaskPartition.ENTITY_TYPE_KEY.name())));
      }
      return Future.successful(Planner.allocate(shardId, regions(allocations), requester));
    }

    /**
     * A node whose region has not registered yet would get no shards from a cold start's first
     * wave of allocations; waiting a moment (at most {@link #REGISTRATION_GRACE}) for it spreads
     * them evenly at once instead of by rebalancing later.
     *
     * @return an up node that should hold shards of {@code type} but has no region registered
     *     yet, within the grace period; {@code null} if there is none
     */
    private Address registeringNode(String type, Map<ActorRef, IndexedSeq<String>> allocations) {
      java.util.Set<Address> registered = new java.util.HashSet<>();
      allocations.keySet().forEach(ref -> registered.add(addressOf(ref)));
      long now = System.nanoTime();
      Address waitingFor = null;
      for (Member member : cluster.state().getMembers()) {
        boolean eligible = member.status() == MemberStatus.up()
            && member.hasRole(TaskPartition.WORKER_ROLE)
            && (type == null || member.hasRole(roleFor(type)));
        if (!eligible || registered.contains(member.address())) {
          unregisteredSince.remove(member.address());
          continue;
        }
        long since = unregisteredSince.computeIfAbsent(member.address(), address -> now);
        if (now - since < REGISTRATION_GRACE.toNanos()) {
          waitingFor = member.address();
        }
      }
      return waitingFor;
    }

    private Address addressOf(ActorRef region) {
      return region.path().address().hasGlobalScope()
          ? region.path().address()
          : cluster.selfAddress();
    }

    @Override
    public Future<Set<String>> rebalance(
        Map<ActorRef, IndexedSeq<String>> allocations, Set<String> inProgress) {
      if (!inProgress.isEmpty() || !calm()) {
        return Future.successful(Set.of());
      }
      List<Region<ActorRef>> regions = regions(allocations);
      int shards = regions.stream().mapToInt(region -> region.shards().size()).sum();
      int limit = Math.max(1, (int) (shards * rebalanceShare));
      return Future.successful(Planner.rebalance(regions, limit));
    }

    private boolean calm() {
      var state = cluster.state();
      if (!state.getUnreachable().isEmpty()) {
        return false;
      }
      for (Member member : state.getMembers()) {
        if (member.status() != MemberStatus.up()) {
          return false;
        }
      }
      return true;
    }

    private List<Region<ActorRef>> regions(Map<ActorRef, IndexedSeq<String>> allocations) {
      Map<Address, Member> members = new HashMap<>();
      cluster.state().getMembers().forEach(member -> members.put(member.address(), member));
      List<Region<ActorRef>> regions = new ArrayList<>();
      allocations.forEach((ref, shards) -> {
        Member member = members.get(addressOf(ref));
        boolean usable = member != null
            && (member.status() == MemberStatus.up() || member.status() == MemberStatus.weaklyUp());
        regions.add(new Region<>(ref, usable,
            member != null ? member.getRoles() : Set.of(), CollectionConverters.asJava(shards)));
      });
      return regions;
    }
  }
}
