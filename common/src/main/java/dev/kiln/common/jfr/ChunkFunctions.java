package dev.kiln.common.jfr;

import dev.kiln.common.symbols.LongIntHashMap;

import java.util.ArrayList;
import java.util.List;

/**
 * Function names of one chunk's methods, resolved once per method and shared by all profiles
 * built from the chunk (method ids are chunk-local).
 */
final class ChunkFunctions {
    private final ConstantPools pools;
    private final LongIntHashMap byMethodId = new LongIntHashMap(16);
    private final List<String> names = new ArrayList<>();

    ChunkFunctions(ConstantPools pools) {
        this.pools = pools;
    }

    ConstantPools pools() {
        return pools;
    }

    /**
     * The frame's function name, or null when its method or the method's class is missing from
     * the pools — such frames are dropped, as grafana/jfr-parser does.
     */
    String name(long methodId) {
        int index = byMethodId.get(methodId);
        if (index == LongIntHashMap.ABSENT) {
            index = names.size();
            names.add(resolve(methodId));
            byMethodId.put(methodId, index);
        }
        return names.get(index);
    }

    private String resolve(long methodId) {
        int method = pools.method(methodId);
        if (method == LongIntHashMap.ABSENT || !pools.hasMethodClass(method)) {
            return null;
        }
        return FrameNames.functionName(pools.methodClassName(method), pools.methodName(method));
    }
}
