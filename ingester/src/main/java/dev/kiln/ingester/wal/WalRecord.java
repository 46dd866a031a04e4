package dev.kiln.ingester.wal;

/**
 * One logged push slice: the part of a push that went to one head block.
 *
 * @param tenant        the tenant of the head block
 * @param blockId       the head block's id (a ULID); replay re-creates the block under this id
 * @param windowStartMs start of the head block's time window
 * @param payload       the logged data (the ingester writes an ingester.v1 PushRequest); compared by identity
 */
public record WalRecord(String tenant, String blockId, long windowStartMs, byte[] payload) {
    BlockRef block() {
        return new BlockRef(tenant, blockId);
    }
}
