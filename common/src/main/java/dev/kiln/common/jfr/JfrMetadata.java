package dev.kiln.common.jfr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The type system a chunk declares in its metadata event. Every event and constant-pool layout
 * the converter reads comes from here rather than from a hard-coded field order, because
 * producers add fields (async-profiler's {@code contextId}, span and trace ids) between
 * versions.
 *
 * <p>The metadata event is a tree of elements ({@code root > metadata > class > field >
 * annotation}) whose names and attribute values index a string table at the start of the event.
 */
final class JfrMetadata {
    /** Deepest element tree and deepest inline struct nesting accepted; real recordings use 5 and 3. */
    private static final int MAX_DEPTH = 32;

    enum Kind { BOOLEAN, BYTE, SHORT, CHAR, INT, LONG, FLOAT, DOUBLE, STRING, STRUCT }

    static final class Type {
        final long id;
        final String name;
        final Kind kind;
        Field[] fields = new Field[0];
        /** A struct whose encoding is zero bytes (all its inline fields are empty structs). */
        boolean empty;
        private int visitState;

        Type(long id, String name) {
            this.id = id;
            this.name = name;
            this.kind = kindOf(name);
        }

        Field field(String fieldName) {
            for (Field f : fields) {
                if (f.name.equals(fieldName)) {
                    return f;
                }
            }
            return null;
        }

        boolean isNumeric() {
            return kind.ordinal() <= Kind.LONG.ordinal();
        }

        /** Skips one inline value of this type. */
        void skip(JfrInput in) {
            switch (kind) {
                case BOOLEAN, BYTE -> in.skip(1);
                case SHORT, CHAR -> in.readShort();
                case INT -> in.readInt();
                case LONG -> in.readLong();
                case FLOAT -> in.skipFloat();
                case DOUBLE -> in.skipDouble();
                case STRING -> in.skipString();
                case STRUCT -> {
                    for (Field f : fields) {
                        f.skip(in);
                    }
                }
            }
        }

        /** Reads one inline value of a numeric type (boolean through long). */
        long readNumber(JfrInput in) {
            return switch (kind) {
                case BOOLEAN, BYTE -> in.readByte();
                case SHORT, CHAR -> in.readShort();
                case INT -> in.readInt();
                case LONG -> in.readLong();
                default -> throw in.invalid("type " + name + " is not numeric");
            };
        }

        private static Kind kindOf(String name) {
            return switch (name) {
                case "boolean" -> Kind.BOOLEAN;
                case "byte" -> Kind.BYTE;
                case "short" -> Kind.SHORT;
                case "char" -> Kind.CHAR;
                case "int" -> Kind.INT;
                case "long" -> Kind.LONG;
                case "float" -> Kind.FLOAT;
                case "double" -> Kind.DOUBLE;
                case "java.lang.String" -> Kind.STRING;
                default -> Kind.STRUCT;
            };
        }
    }

    static final class Field {
        final String name;
        final long typeId;
        final boolean constantPool;
        final boolean array;
        /** Value of the field's {@code jdk.jfr.Timespan} annotation (e.g. TICKS, NANOSECONDS), or null. */
        String timespanUnit;
        Type type;
        private final List<Long> annotationTypeIds = new ArrayList<>();
        private final List<String> annotationValues = new ArrayList<>();

        Field(String name, long typeId, boolean constantPool, boolean array) {
            this.name = name;
            this.typeId = typeId;
            this.constantPool = constantPool;
            this.array = array;
        }

        /** Skips this field's value: a pool reference or an inline value, either possibly an array. */
        void skip(JfrInput in) {
            int count = array ? in.readCount("array element") : 1;
            if (constantPool) {
                for (int i = 0; i < count; i++) {
                    in.readLong();
                }
            } else if (!type.empty) {
                for (int i = 0; i < count; i++) {
                    type.skip(in);
                }
            }
        }
    }

    private final Map<Long, Type> byId;
    private final Map<String, Type> byName;

    private JfrMetadata(Map<Long, Type> byId, Map<String, Type> byName) {
        this.byId = byId;
        this.byName = byName;
    }

    Type type(String name) {
        return byName.get(name);
    }

    Type type(long id) {
        return byId.get(id);
    }

    /** Reads the metadata event the input is positioned at; the input's limit is the chunk end. */
    static JfrMetadata read(JfrInput in) {
        int start = in.position();
        int size = in.readSize("metadata event size");
        if (size > in.limit() - start) {
            throw in.invalid("metadata event size " + size + " runs past the chunk end");
        }
        in.limit(start + size);
        long type = in.readLong();
        if (type != 0) {
            throw in.invalid("expected the metadata event (type 0) but found type " + type);
        }
        in.readLong(); // start time
        in.readLong(); // duration
        in.readLong(); // metadata id
        String[] strings = new String[in.readCount("metadata string")];
        for (int i = 0; i < strings.length; i++) {
            strings[i] = in.readString(id -> {
                throw in.invalid("metadata string refers to constant pool entry " + id);
            });
        }
        Element root = readElement(in, strings, 0);
        return build(in, root);
    }

    /** A metadata element; attributes are alternating names and values (an element has a handful). */
    private record Element(String name, String[] attributes, List<Element> children) {
        String attribute(String key) {
            for (int i = 0; i < attributes.length; i += 2) {
                if (key.equals(attributes[i])) {
                    return attributes[i + 1];
                }
            }
            return null;
        }
    }

    private static Element readElement(JfrInput in, String[] strings, int depth) {
        if (depth > MAX_DEPTH) {
            throw in.invalid("metadata elements nested deeper than " + MAX_DEPTH);
        }
        String name = string(in, strings);
        String[] attributes = new String[2 * in.readCount("metadata attribute")];
        for (int i = 0; i < attributes.length; i++) {
            attributes[i] = string(in, strings);
        }
        int childCount = in.readCount("metadata child element");
        List<Element> children = new ArrayList<>(childCount);
        for (int i = 0; i < childCount; i++) {
            children.add(readElement(in, strings, depth + 1));
        }
        return new Element(name == null ? "" : name, attributes, children);
    }

    private static String string(JfrInput in, String[] strings) {
        int index = in.readInt();
        if (index < 0 || index >= strings.length) {
            throw in.invalid("metadata string index " + index + " outside the table of " + strings.length);
        }
        return strings[index];
    }

    private static JfrMetadata build(JfrInput in, Element root) {
        Map<Long, Type> byId = new HashMap<>();
        Map<String, Type> byName = new HashMap<>();
        for (Element section : root.children()) {
            if (!section.name().equals("metadata")) {
                continue;
            }
            for (Element classElement : section.children()) {
                if (!classElement.name().equals("class")) {
                    continue;
                }
                Type type = buildType(in, classElement);
                if (byId.put(type.id, type) != null) {
                    throw in.invalid("metadata declares type id " + type.id + " twice");
                }
                byName.put(type.name, type);
            }
        }
        Type timespan = byName.get("jdk.jfr.Timespan");
        for (Type type : byId.values()) {
            for (Field field : type.fields) {
                field.type = byId.get(field.typeId);
                if (field.type == null) {
                    throw in.invalid("field " + type.name + "." + field.name + " has undeclared type id " + field.typeId);
                }
                for (int i = 0; i < field.annotationTypeIds.size(); i++) {
                    if (timespan != null && field.annotationTypeIds.get(i) == timespan.id) {
                        field.timespanUnit = field.annotationValues.get(i);
                    }
                }
            }
        }
        for (Type type : byId.values()) {
            checkInlineNesting(in, type, 0);
        }
        return new JfrMetadata(byId, byName);
    }

    private static Type buildType(JfrInput in, Element classElement) {
        String name = classElement.attribute("name");
        if (name == null || name.isEmpty()) {
            throw in.invalid("metadata class without a name");
        }
        Type type = new Type(parseId(in, classElement.attribute("id"), "class " + name), name);
        List<Field> fields = new ArrayList<>();
        for (Element child : classElement.children()) {
            if (!child.name().equals("field")) {
                continue;
            }
            String fieldName = child.attribute("name");
            if (fieldName == null) {
                throw in.invalid("field without a name in class " + name);
            }
            String dimension = child.attribute("dimension");
            if (dimension != null && !dimension.equals("0") && !dimension.equals("1")) {
                throw in.invalid("field " + name + "." + fieldName + " has unsupported array dimension " + dimension);
            }
            Field field = new Field(fieldName, parseId(in, child.attribute("class"), "field " + name + "." + fieldName),
                    "true".equals(child.attribute("constantPool")), "1".equals(dimension));
            for (Element annotation : child.children()) {
                if (annotation.name().equals("annotation") && annotation.attribute("class") != null) {
                    field.annotationTypeIds.add(parseId(in, annotation.attribute("class"), "annotation"));
                    field.annotationValues.add(annotation.attribute("value"));
                }
            }
            fields.add(field);
        }
        type.fields = fields.toArray(new Field[0]);
        return type;
    }

    private static long parseId(JfrInput in, String value, String owner) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw in.invalid("type id '" + value + "' of " + owner + " is not a number");
        }
    }

    /**
     * Rejects inline struct cycles and absurd nesting, which would otherwise turn skipping a value
     * into unbounded recursion, and marks structs that encode to zero bytes so that arrays of them
     * cost nothing to skip whatever count they claim.
     */
    private static void checkInlineNesting(JfrInput in, Type type, int depth) {
        if (type.kind != Kind.STRUCT || type.visitState == 2) {
            return;
        }
        if (type.visitState == 1) {
            throw in.invalid("type " + type.name + " contains itself inline");
        }
        if (depth > MAX_DEPTH) {
            throw in.invalid("inline types nested deeper than " + MAX_DEPTH + " at " + type.name);
        }
        type.visitState = 1;
        boolean empty = true;
        for (Field field : type.fields) {
            if (field.constantPool || field.array) {
                empty = false;
            }
            if (!field.constantPool) {
                checkInlineNesting(in, field.type, depth + 1);
                empty &= field.type.kind == Kind.STRUCT && field.type.empty;
            }
        }
        type.empty = empty;
        type.visitState = 2;
    }
}
