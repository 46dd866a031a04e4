package dev.kiln.common.otlp;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.profiles.v1development.Function;
import io.opentelemetry.proto.profiles.v1development.KeyValueAndUnit;
import io.opentelemetry.proto.profiles.v1development.Link;
import io.opentelemetry.proto.profiles.v1development.Location;
import io.opentelemetry.proto.profiles.v1development.Mapping;
import io.opentelemetry.proto.profiles.v1development.ProfilesDictionary;
import io.opentelemetry.proto.profiles.v1development.Stack;

import java.util.List;

/**
 * Bounds-checked access to an OTLP {@link ProfilesDictionary}.
 *
 * <p>Every index in an OTLP profile points into one of the dictionary tables, and a client can
 * send any int32. Each accessor names the table and the referring field when the index is out of
 * range. The spec requires entry 0 of every table to be the zero value meaning "not set"; a client
 * that leaves a table out entirely still gets that meaning for index 0.
 */
final class OtlpDictionary {

    private final ProfilesDictionary tables;

    OtlpDictionary(ProfilesDictionary tables) {
        this.tables = tables;
    }

    String string(int index, String referencedBy) {
        return entry(tables.getStringTableList(), index, "", "string_table", referencedBy);
    }

    Stack stack(int index, String referencedBy) {
        return entry(tables.getStackTableList(), index, Stack.getDefaultInstance(), "stack_table", referencedBy);
    }

    Location location(int index, String referencedBy) {
        return entry(tables.getLocationTableList(), index, Location.getDefaultInstance(), "location_table", referencedBy);
    }

    Function function(int index, String referencedBy) {
        return entry(tables.getFunctionTableList(), index, Function.getDefaultInstance(), "function_table", referencedBy);
    }

    Mapping mapping(int index, String referencedBy) {
        return entry(tables.getMappingTableList(), index, Mapping.getDefaultInstance(), "mapping_table", referencedBy);
    }

    Link link(int index, String referencedBy) {
        return entry(tables.getLinkTableList(), index, Link.getDefaultInstance(), "link_table", referencedBy);
    }

    KeyValueAndUnit attribute(int index, String referencedBy) {
        return entry(tables.getAttributeTableList(), index, KeyValueAndUnit.getDefaultInstance(),
                "attribute_table", referencedBy);
    }

    /**
     * The value of the first attribute named {@code key} among {@code attributeIndices}, rendered
     * as by {@link #render}; empty when absent.
     */
    String attributeValue(List<Integer> attributeIndices, String key, String referencedBy) {
        for (int index : attributeIndices) {
            KeyValueAndUnit attribute = attribute(index, referencedBy);
            if (key.equals(string(attribute.getKeyStrindex(), "KeyValueAndUnit.key_strindex"))) {
                return render(attribute.getValue());
            }
        }
        return "";
    }

    /** The key of a resource or scope attribute, which may be given inline or by string index. */
    String key(KeyValue attribute) {
        return attribute.getKey().isEmpty()
                ? string(attribute.getKeyStrindex(), "KeyValue.key_strindex")
                : attribute.getKey();
    }

    /**
     * A scalar attribute value as a label value: strings as they are, booleans and integers in
     * decimal, doubles without a fraction as integers and others in Java notation. Arrays, maps
     * and bytes have no label form and render empty, as does an unset value.
     */
    String render(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case STRING_VALUE_STRINDEX -> string(value.getStringValueStrindex(), "AnyValue.string_value_strindex");
            case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
            case INT_VALUE -> Long.toString(value.getIntValue());
            case DOUBLE_VALUE -> renderDouble(value.getDoubleValue());
            case ARRAY_VALUE, KVLIST_VALUE, BYTES_VALUE, VALUE_NOT_SET -> "";
        };
    }

    private static String renderDouble(double value) {
        boolean integral = value == Math.rint(value) && Math.abs(value) < 0x1p53;
        return integral ? Long.toString((long) value) : Double.toString(value);
    }

    private static <T> T entry(List<T> table, int index, T zeroValue, String tableName, String referencedBy) {
        if (index == 0 && table.isEmpty()) {
            return zeroValue;
        }
        if (index < 0 || index >= table.size()) {
            throw new IllegalArgumentException(referencedBy + " " + index + " is out of range: dictionary "
                    + tableName + " has " + table.size() + " entries");
        }
        return table.get(index);
    }
}
