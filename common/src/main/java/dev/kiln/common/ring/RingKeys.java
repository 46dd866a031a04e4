package dev.kiln.common.ring;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import dev.kiln.common.ring.kv.EtcdConfig;
import dev.kiln.common.ring.kv.KvStoreConfig;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The configuration keys of Kiln's three rings, in Pyroscope's layout, and how to read a
 * {@link RingConfig} (what ring clients need) and a {@link LifecyclerConfig} (what a member needs)
 * from them. Each ring has its own {@code kvstore} block, as in Pyroscope:
 *
 * <ul>
 *   <li>ingesters: {@code ingester.lifecycler.ring.*} (the ring) and {@code ingester.lifecycler.*}
 *       (the member), KV key {@code ring};
 *   <li>store-gateways: {@code store_gateway.sharding_ring.*}, KV key {@code store-gateway};
 *   <li>compactors: {@code compactor.sharding_ring.*}, KV key {@code compactor}.
 * </ul>
 */
public final class RingKeys {
    public static final RingKeys INGESTER = new RingKeys("ingester ring", "ring",
            "ingester.lifecycler.ring.", "ingester.lifecycler.", "", Duration.ofSeconds(5), true,
            "Ingesters' ring: distributors shard series over it, queriers find ingesters in it.");
    public static final RingKeys STORE_GATEWAY = new RingKeys("store-gateway ring", "store-gateway",
            "store_gateway.sharding_ring.", "store_gateway.sharding_ring.", "instance_", Duration.ofSeconds(15), true,
            "Store-gateways' ring: each block is served by the replication_factor store-gateways that own its id's hash.");
    public static final RingKeys COMPACTOR = new RingKeys("compactor ring", "compactor",
            "compactor.sharding_ring.", "compactor.sharding_ring.", "instance_", Duration.ofSeconds(15), false,
            "Compactors' ring: each tenant is compacted by the one compactor that owns its hash.");

    private final String name;
    private final String kvKey;
    private final String ringPrefix;
    private final String memberPrefix;
    private final String instancePrefix;
    private final Duration defaultHeartbeatPeriod;
    private final boolean replicated;
    private final String description;

    private RingKeys(String name, String kvKey, String ringPrefix, String memberPrefix, String instancePrefix,
            Duration defaultHeartbeatPeriod, boolean replicated, String description) {
        this.name = name;
        this.kvKey = kvKey;
        this.ringPrefix = ringPrefix;
        this.memberPrefix = memberPrefix;
        this.instancePrefix = instancePrefix;
        this.defaultHeartbeatPeriod = defaultHeartbeatPeriod;
        this.replicated = replicated;
        this.description = description;
    }

    /** The KV key the ring is stored under (below {@code kvstore.prefix}). */
    public String kvKey() {
        return kvKey;
    }

    public String name() {
        return name;
    }

    private String ring(String key) {
        return ringPrefix + key;
    }

    private String member(String key) {
        return memberPrefix + instancePrefix + key;
    }

    private String memberPlain(String key) {
        return memberPrefix + key;
    }

    /** Every key of this ring, documented. */
    public List<ConfigKey> keys() {
        List<ConfigKey> keys = new ArrayList<>();
        keys.add(ConfigKey.of(ring("kvstore.store"), ConfigType.STRING, KvStoreConfig.INMEMORY,
                description + " Where the ring lives: inmemory (this process only; the single binary) or etcd (shared by a cluster)."));
        keys.add(ConfigKey.of(ring("kvstore.prefix"), ConfigType.STRING, KvStoreConfig.DEFAULT.prefix(),
                "Prefix of the " + name + "'s key in the KV store (the ring is stored at <prefix>" + kvKey + ")."));
        keys.add(ConfigKey.of(ring("kvstore.etcd.endpoints"), ConfigType.STRING_LIST, List.of(),
                "etcd client URLs for the " + name + ", e.g. http://etcd-0:2379; required when kvstore.store is etcd."));
        keys.add(ConfigKey.of(ring("kvstore.etcd.dial_timeout"), ConfigType.DURATION, EtcdConfig.DEFAULT.dialTimeout(),
                "Time limit for connecting to etcd and for each KV request of the " + name + "."));
        keys.add(ConfigKey.of(ring("kvstore.etcd.username"), ConfigType.STRING, "", "etcd user for the " + name + "; empty: no authentication."));
        keys.add(ConfigKey.of(ring("kvstore.etcd.password"), ConfigType.STRING, "", "etcd password for the " + name + ".").asSecret());
        keys.add(ConfigKey.of(ring("heartbeat_timeout"), ConfigType.DURATION, RingConfig.DEFAULT.heartbeatTimeout(),
                "A " + name + " member whose last heartbeat is older is unhealthy: skipped for reads and writes. 0 disables the check."));
        if (replicated) {
            keys.add(ConfigKey.of(ring("replication_factor"), ConfigType.INT, 1,
                    "Copies of each " + (kvKey.equals("ring") ? "series (writes succeed on a quorum of replication_factor/2+1)" : "block's serving assignment")
                            + ". 1 in the single binary; 3 for ingesters and 2 or more for store-gateways in microservices mode."));
            keys.add(ConfigKey.of(ring("zone_awareness_enabled"), ConfigType.BOOLEAN, false,
                    "Place the replicas of a key in different availability zones."));
        }
        keys.add(ConfigKey.of(member("id"), ConfigType.STRING, "",
                "This instance's id in the " + name + "; empty: the host name. Must be unique and stable across restarts."));
        keys.add(ConfigKey.of(member(instancePrefix.isEmpty() ? "address" : "addr"), ConfigType.STRING, "",
                "Host other components use to reach this instance (registered in the " + name + "); empty: the first non-loopback IPv4 address."));
        keys.add(ConfigKey.of(member("port"), ConfigType.INT, 0,
                "Port registered in the " + name + "; 0: this process's gRPC port (server.grpc_listen_port)."));
        keys.add(ConfigKey.of(member("availability_zone"), ConfigType.STRING, "",
                "Availability zone of this instance, for zone-aware replication."));
        keys.add(ConfigKey.of(memberPlain("num_tokens"), ConfigType.INT, 128, "Tokens this instance claims in the " + name + "."));
        keys.add(ConfigKey.of(memberPlain("heartbeat_period"), ConfigType.DURATION, defaultHeartbeatPeriod,
                "How often this instance heartbeats into the " + name + "; keep it well below heartbeat_timeout."));
        keys.add(ConfigKey.of(memberPlain("tokens_file_path"), ConfigType.STRING, "",
                "File keeping this instance's tokens across restarts; empty: tokens are kept only in the ring."));
        keys.add(ConfigKey.of(memberPlain("unregister_on_shutdown"), ConfigType.BOOLEAN, true,
                "Remove this instance from the " + name + " when it stops (after LEAVING and, for ingesters, the final flush)."));
        return Collections.unmodifiableList(keys);
    }

    /** What ring clients of this ring need. */
    public RingConfig ringConfig(Config c) {
        try {
            KvStoreConfig kv = new KvStoreConfig(c.getString(ring("kvstore.store")), c.getString(ring("kvstore.prefix")),
                    new EtcdConfig(c.getStringList(ring("kvstore.etcd.endpoints")), c.getDuration(ring("kvstore.etcd.dial_timeout")),
                            c.getString(ring("kvstore.etcd.username")), c.getString(ring("kvstore.etcd.password"))));
            if (KvStoreConfig.ETCD.equals(kv.store()) && kv.etcd().endpoints().isEmpty()) {
                throw new ConfigException(ring("kvstore.etcd.endpoints") + " must list at least one etcd URL when "
                        + ring("kvstore.store") + " is etcd");
            }
            int rf = replicated ? c.getInt(ring("replication_factor")) : 1;
            boolean zones = replicated && c.getBoolean(ring("zone_awareness_enabled"));
            return new RingConfig(kv, c.getDuration(ring("heartbeat_timeout")), rf, zones);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name + ": " + e.getMessage());
        }
    }

    /**
     * What a member of this ring needs.
     *
     * @param defaultPort the port to register when {@code port} is 0 (the process's gRPC port,
     *     known once its server listens)
     */
    public LifecyclerConfig lifecyclerConfig(Config c, int defaultPort) {
        String id = c.getString(member("id"));
        String host = c.getString(member(instancePrefix.isEmpty() ? "address" : "addr"));
        int port = c.getInt(member("port"));
        try {
            return new LifecyclerConfig(id.isBlank() ? hostName() : id,
                    (host.isBlank() ? defaultHost() : host) + ":" + (port == 0 ? defaultPort : port),
                    c.getString(member("availability_zone")), c.getInt(memberPlain("num_tokens")),
                    c.getDuration(memberPlain("heartbeat_period")), c.getString(memberPlain("tokens_file_path")),
                    c.getBoolean(memberPlain("unregister_on_shutdown")));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name + ": " + e.getMessage());
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return defaultHost();
        }
    }

    /** The first non-loopback IPv4 address of an interface that is up, else 127.0.0.1. */
    static String defaultHost() {
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                        return a.getHostAddress();
                    }
                }
            }
        } catch (SocketException e) {
            // No interface list (sandboxes): loopback is the only address that can work.
        }
        return "127.0.0.1";
    }
}
