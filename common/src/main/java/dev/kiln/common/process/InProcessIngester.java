package dev.kiln.common.process;

import dev.kiln.proto.ingester.v1.PushRequest;
import dev.kiln.proto.ingester.v1.PushResponse;

/**
 * The ingester of this process, published by the ingester component so that a distributor in the
 * same process (the single binary) calls it directly: no gRPC call and no hop to another thread and
 * back for every push. Writes to other ingesters of the ring still go over gRPC.
 */
public interface InProcessIngester {
    /** Its id in the ingester ring, or null before it joined. */
    String ringId();

    /** Appends to the head and the WAL; returns once the push is durable. */
    PushResponse push(String tenant, PushRequest request);
}
