package dev.kiln.common.otlp;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.profiles.v1development.Function;
import io.opentelemetry.proto.profiles.v1development.KeyValueAndUnit;
import io.opentelemetry.proto.profiles.v1development.Line;
import io.opentelemetry.proto.profiles.v1development.Link;
import io.opentelemetry.proto.profiles.v1development.Location;
import io.opentelemetry.proto.profiles.v1development.Mapping;
import io.opentelemetry.proto.profiles.v1development.ProfilesDictionary;
import io.opentelemetry.proto.profiles.v1development.Stack;
import io.opentelemetry.proto.profiles.v1development.ValueType;

import java.util.HashMap;
import java.util.Map;

/** Builds an OTLP dictionary the way agents do: zero value first in every table, strings interned. */
public final class DictionaryBuilder {

    private final ProfilesDictionary.Builder tables = ProfilesDictionary.newBuilder();
    private final Map<String, Integer> strings = new HashMap<>();

    public DictionaryBuilder() {
        string("");
        tables.addMappingTable(Mapping.getDefaultInstance())
                .addLocationTable(Location.getDefaultInstance())
                .addFunctionTable(Function.getDefaultInstance())
                .addLinkTable(Link.getDefaultInstance())
                .addAttributeTable(KeyValueAndUnit.getDefaultInstance())
                .addStackTable(Stack.getDefaultInstance());
    }

    public int string(String value) {
        return strings.computeIfAbsent(value, v -> {
            tables.addStringTable(v);
            return tables.getStringTableCount() - 1;
        });
    }

    public ValueType valueType(String type, String unit) {
        return ValueType.newBuilder().setTypeStrindex(string(type)).setUnitStrindex(string(unit)).build();
    }

    public int function(String name, String filename) {
        tables.addFunctionTable(Function.newBuilder()
                .setNameStrindex(string(name))
                .setFilenameStrindex(string(filename)));
        return tables.getFunctionTableCount() - 1;
    }

    public int mapping(String filename, long start, long limit, int... attributes) {
        Mapping.Builder mapping = Mapping.newBuilder()
                .setFilenameStrindex(string(filename))
                .setMemoryStart(start)
                .setMemoryLimit(limit);
        for (int attribute : attributes) {
            mapping.addAttributeIndices(attribute);
        }
        tables.addMappingTable(mapping);
        return tables.getMappingTableCount() - 1;
    }

    /** A location whose lines are given as (function index, line number) pairs, innermost first. */
    public int location(int mapping, long address, long... functionAndLine) {
        Location.Builder location = Location.newBuilder().setMappingIndex(mapping).setAddress(address);
        for (int i = 0; i < functionAndLine.length; i += 2) {
            location.addLines(Line.newBuilder()
                    .setFunctionIndex((int) functionAndLine[i])
                    .setLine(functionAndLine[i + 1]));
        }
        tables.addLocationTable(location);
        return tables.getLocationTableCount() - 1;
    }

    public int kernelLocation(int mapping, long address) {
        tables.addLocationTable(Location.newBuilder()
                .setMappingIndex(mapping)
                .setAddress(address)
                .addAttributeIndices(attribute("profile.frame.type", "kernel")));
        return tables.getLocationTableCount() - 1;
    }

    /** A stack given leaf first, as OTLP orders it. */
    public int stack(int... locations) {
        Stack.Builder stack = Stack.newBuilder();
        for (int location : locations) {
            stack.addLocationIndices(location);
        }
        tables.addStackTable(stack);
        return tables.getStackTableCount() - 1;
    }

    public int attribute(String key, String value) {
        return attribute(key, AnyValue.newBuilder().setStringValue(value).build());
    }

    public int attribute(String key, AnyValue value) {
        tables.addAttributeTable(KeyValueAndUnit.newBuilder().setKeyStrindex(string(key)).setValue(value));
        return tables.getAttributeTableCount() - 1;
    }

    public int link(byte[] traceId, byte[] spanId) {
        tables.addLinkTable(Link.newBuilder()
                .setTraceId(ByteString.copyFrom(traceId))
                .setSpanId(ByteString.copyFrom(spanId)));
        return tables.getLinkTableCount() - 1;
    }

    public ProfilesDictionary build() {
        return tables.build();
    }

    public static KeyValue keyValue(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }

    public static KeyValue keyValue(String key, AnyValue value) {
        return KeyValue.newBuilder().setKey(key).setValue(value).build();
    }
}
