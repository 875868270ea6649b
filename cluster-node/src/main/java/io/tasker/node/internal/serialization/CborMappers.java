package io.tasker.node.internal.serialization;

import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.module.blackbird.BlackbirdModule;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperFactory;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProviderSetup;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The object mapper of Tasker's events and cluster messages (Pekko's {@code jackson-cbor}
 * binding): Pekko's configured modules, then {@link BlackbirdModule} (properties read and
 * written through generated lambdas instead of reflection) and {@link DecimalTimes} (the
 * decimal timestamps of {@code Instant} and {@code Duration} without a detour through text).
 * Neither changes a byte of what is written, so events written with or without them read the
 * same; they only make each task's events cheaper to write.
 */
public final class CborMappers extends JacksonObjectMapperFactory {
  static final String BINDING = "jackson-cbor";

  /** @return the setup of an actor system with {@code config} and these mappers */
  public static ActorSystemSetup actorSystemSetup(Config config) {
    return ActorSystemSetup.create(
        BootstrapSetup.create(config), new JacksonObjectMapperProviderSetup(new CborMappers()));
  }

  @Override
  public scala.collection.immutable.Seq<Module> overrideConfiguredModules(
      String bindingName, scala.collection.immutable.Seq<Module> configuredModules) {
    if (!BINDING.equals(bindingName)) {
      return configuredModules;
    }
    // modules registered later are asked first: these come before the JavaTimeModule's
    List<Module> modules = new ArrayList<>(CollectionConverters.asJava(configuredModules));
    modules.add(new BlackbirdModule());
    modules.add(DecimalTimes.module());
    return CollectionConverters.asScala(modules).toList();
  }
}
