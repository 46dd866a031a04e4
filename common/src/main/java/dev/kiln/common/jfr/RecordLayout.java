package dev.kiln.common.jfr;

import java.util.Arrays;

/**
 * Reads the few fields the converter needs from one struct (an event or a constant-pool entry)
 * into numbered slots and skips every other field, following the field order the chunk's
 * metadata declares. A wanted field that is absent, or present with another shape than expected,
 * stays unbound and its slot keeps the caller's default — new or changed producer fields never
 * break the layout.
 */
final class RecordLayout {
    private static final byte SKIP = 0;
    private static final byte NUMBER = 1;
    private static final byte REFERENCE = 2;
    private static final byte STRING_POSITION = 3;

    private final JfrMetadata.Field[] fields;
    private final byte[] actions;
    private final int[] slots;
    private final int lastBound;

    private RecordLayout(JfrMetadata.Field[] fields, byte[] actions, int[] slots) {
        this.fields = fields;
        this.actions = actions;
        this.slots = slots;
        int last = -1;
        for (int i = 0; i < actions.length; i++) {
            if (actions[i] != SKIP) {
                last = i;
            }
        }
        this.lastBound = last;
    }

    static Builder of(JfrMetadata.Type type) {
        return new Builder(type);
    }

    /** The field bound to {@code slot}, or null when the record has no usable such field. */
    JfrMetadata.Field boundField(int slot) {
        for (int i = 0; i < slots.length; i++) {
            if (actions[i] != SKIP && slots[i] == slot) {
                return fields[i];
            }
        }
        return null;
    }

    /**
     * Reads the bound fields into {@code out}. With {@code wholeRecord} false it stops after the
     * last bound field, for events whose size already tells where the next one starts.
     */
    void read(JfrInput in, long[] out, boolean wholeRecord) {
        int end = wholeRecord ? fields.length - 1 : lastBound;
        for (int i = 0; i <= end; i++) {
            switch (actions[i]) {
                case NUMBER -> out[slots[i]] = fields[i].type.readNumber(in);
                case REFERENCE -> out[slots[i]] = in.readLong();
                case STRING_POSITION -> {
                    out[slots[i]] = in.position();
                    in.skipString();
                }
                default -> fields[i].skip(in);
            }
        }
    }

    static final class Builder {
        private final JfrMetadata.Type type;
        private final byte[] actions;
        private final int[] slots;

        private Builder(JfrMetadata.Type type) {
            this.type = type;
            this.actions = new byte[type.fields.length];
            this.slots = new int[type.fields.length];
            Arrays.fill(slots, -1);
        }

        /** Binds an inline integral field (boolean through long). */
        Builder number(String fieldName, int slot) {
            return bind(fieldName, slot, NUMBER, f -> !f.constantPool && f.type.isNumeric());
        }

        /** Binds a constant-pool reference to a pool of {@code poolType}; the slot receives the id. */
        Builder reference(String fieldName, String poolType, int slot) {
            return bind(fieldName, slot, REFERENCE, f -> f.constantPool && f.type.name.equals(poolType));
        }

        /** Binds an inline string; the slot receives the position of its encoding so it can be decoded lazily. */
        Builder stringPosition(String fieldName, int slot) {
            return bind(fieldName, slot, STRING_POSITION,
                    f -> !f.constantPool && f.type.kind == JfrMetadata.Kind.STRING);
        }

        RecordLayout build() {
            return new RecordLayout(type.fields, actions, slots);
        }

        private Builder bind(String fieldName, int slot, byte action,
                             java.util.function.Predicate<JfrMetadata.Field> expectedShape) {
            for (int i = 0; i < type.fields.length; i++) {
                JfrMetadata.Field f = type.fields[i];
                if (f.name.equals(fieldName) && !f.array && expectedShape.test(f)) {
                    actions[i] = action;
                    slots[i] = slot;
                    return this;
                }
            }
            return this;
        }
    }
}
