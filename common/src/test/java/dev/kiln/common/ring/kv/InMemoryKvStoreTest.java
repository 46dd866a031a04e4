package dev.kiln.common.ring.kv;

class InMemoryKvStoreTest extends KvStoreContract {

    @Override
    protected KvStore open(String prefix) {
        return new InMemoryKvStore(prefix);
    }
}
