package io.tasker.bench;

import com.typesafe.config.Config;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.dispatch.Envelope;
import org.apache.pekko.dispatch.MailboxType;
import org.apache.pekko.dispatch.MessageQueue;
import org.apache.pekko.dispatch.MultipleConsumerSemantics;
import org.apache.pekko.dispatch.ProducesMessageQueue;
import org.apache.pekko.dispatch.UnboundedMailbox;
import org.apache.pekko.dispatch.UnboundedMessageQueueSemantics;
import scala.Option;

/**
 * Pekko's unbounded mailbox, counting the messages enqueued into it: the Tasker benchmark JVM sets
 * it as {@code pekko.actor.default-mailbox} ({@link TaskerSystem}) to report actor messages per
 * task. The queue is Pekko's own; only a counter is added. Messages to actors whose mailbox
 * requirement picks another mailbox (a stash needs a deque) and system messages are not counted.
 */
public final class CountingMailbox
    implements MailboxType, ProducesMessageQueue<CountingMailbox.Queue> {
  /** Messages enqueued into any counting mailbox of this JVM. */
  static final LongAdder ENQUEUED = new LongAdder();

  private final UnboundedMailbox unbounded = new UnboundedMailbox();

  public CountingMailbox(ActorSystem.Settings settings, Config config) {}

  @Override
  public MessageQueue create(Option<ActorRef> owner, Option<ActorSystem> system) {
    return new Queue(unbounded.create(owner, system));
  }

  /** Pekko's unbounded queue with a counter on enqueue; the same semantics as that queue. */
  static final class Queue
      implements MessageQueue, UnboundedMessageQueueSemantics, MultipleConsumerSemantics {
    private final MessageQueue delegate;

    Queue(MessageQueue delegate) {
      this.delegate = delegate;
    }

    @Override
    public void enqueue(ActorRef receiver, Envelope handle) {
      ENQUEUED.increment();
      delegate.enqueue(receiver, handle);
    }

    @Override
    public Envelope dequeue() {
      return delegate.dequeue();
    }

    @Override
    public int numberOfMessages() {
      return delegate.numberOfMessages();
    }

    @Override
    public boolean hasMessages() {
      return delegate.hasMessages();
    }

    @Override
    public void cleanUp(ActorRef owner, MessageQueue deadLetters) {
      delegate.cleanUp(owner, deadLetters);
    }
  }
}
