package dev.kiln.common.jfr;

import java.util.ArrayList;
import java.util.List;

/** Sample value types (type, unit) of a {@link JfrProfileKind}. */
final class ValueTypes {
    record ValueType(String type, String unit) { }

    private ValueTypes() {
    }

    /** Pairs of type and unit names. */
    static List<ValueType> of(String... typeUnitPairs) {
        List<ValueType> types = new ArrayList<>();
        for (int i = 0; i < typeUnitPairs.length; i += 2) {
            types.add(new ValueType(typeUnitPairs[i], typeUnitPairs[i + 1]));
        }
        return List.copyOf(types);
    }
}
