package dev.kiln.common.otlp;

import dev.kiln.proto.pprof.Function;
import dev.kiln.proto.pprof.Label;
import dev.kiln.proto.pprof.Line;
import dev.kiln.proto.pprof.Location;
import dev.kiln.proto.pprof.Mapping;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import dev.kiln.proto.pprof.ValueType;
import io.opentelemetry.proto.profiles.v1development.Stack;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds one pprof profile out of OTLP samples, copying only the dictionary entries its samples
 * reach and numbering them pprof-style (ids from 1, string 0 empty).
 */
final class PprofBuilder {

    /** Semantic-convention attribute naming a location's frame kind; "kernel" marks kernel frames. */
    private static final String FRAME_TYPE = "profile.frame.type";
    private static final String GNU_BUILD_ID = "process.executable.build_id.gnu";
    private static final String KERNEL_PREFIX = "[kernel]";

    /** A pprof sample label with a string value. */
    record SampleLabel(String key, String value) {
    }

    /** An OTLP function with its strings looked up. */
    private record SourceFunction(int index, String name, String systemName, String filename, long startLine) {
        boolean isNamed() {
            return !name.isEmpty() || !systemName.isEmpty();
        }
    }

    private final OtlpDictionary dictionary;
    private final OutputBudget budget;
    private final Profile.Builder profile = Profile.newBuilder();
    private final Map<String, Long> strings = new HashMap<>();
    private final Map<Integer, Long> locationIds = new HashMap<>();
    private final Map<Integer, Long> functionIds = new HashMap<>();
    private final Map<String, Long> syntheticFunctionIds = new HashMap<>();
    /** Keyed by OTLP mapping index, doubled, plus one for the kernel copy of that mapping. */
    private final Map<Long, MappingState> mappings = new HashMap<>();
    private final List<MappingState> mappingsInOrder = new ArrayList<>();

    /**
     * A pprof mapping under construction. Its has_* flags describe every location that refers to
     * it, so they are only final once all samples are in.
     */
    private static final class MappingState {
        final Mapping.Builder mapping;
        boolean hasFunctions = true;
        boolean hasFilenames = true;
        boolean hasLineNumbers = true;
        boolean hasInlineFrames;

        MappingState(Mapping.Builder mapping) {
            this.mapping = mapping;
        }
    }

    PprofBuilder(OtlpDictionary dictionary, OutputBudget budget, String sampleType, String sampleUnit,
                 String periodType, String periodUnit, long period, long timeNanos, long durationNanos) {
        this.dictionary = dictionary;
        this.budget = budget;
        intern("");
        profile.addSampleType(valueType(sampleType, sampleUnit))
                .setDefaultSampleType(intern(sampleType))
                .setPeriod(period)
                .setTimeNanos(timeNanos)
                .setDurationNanos(durationNanos);
        if (periodType != null) {
            profile.setPeriodType(valueType(periodType, periodUnit));
        }
    }

    void addSample(long value, Stack stack, List<SampleLabel> labels) {
        budget.charge((long) stack.getLocationIndicesCount() + labels.size());
        Sample.Builder sample = Sample.newBuilder().addValue(value);
        for (int locationIndex : stack.getLocationIndicesList()) {
            sample.addLocationId(locationId(locationIndex));
        }
        for (SampleLabel label : labels) {
            sample.addLabel(Label.newBuilder().setKey(intern(label.key())).setStr(intern(label.value())));
        }
        profile.addSample(sample);
    }

    Profile build() {
        for (MappingState state : mappingsInOrder) {
            profile.addMapping(state.mapping
                    .setHasFunctions(state.hasFunctions)
                    .setHasFilenames(state.hasFilenames)
                    .setHasLineNumbers(state.hasLineNumbers)
                    .setHasInlineFrames(state.hasInlineFrames));
        }
        return profile.build();
    }

    private ValueType valueType(String type, String unit) {
        return ValueType.newBuilder().setType(intern(type)).setUnit(intern(unit)).build();
    }

    private long locationId(int locationIndex) {
        Long known = locationIds.get(locationIndex);
        if (known != null) {
            return known;
        }
        var source = dictionary.location(locationIndex, "Stack.location_indices");
        boolean kernel = "kernel".equals(dictionary.attributeValue(
                source.getAttributeIndicesList(), FRAME_TYPE, "Location.attribute_indices"));
        MappingState mapping = mapping(source.getMappingIndex(), kernel);
        long id = profile.getLocationCount() + 1L;
        Location.Builder location = Location.newBuilder()
                .setId(id)
                .setMappingId(mapping == null ? 0 : mapping.mapping.getId())
                .setAddress(source.getAddress());

        List<SourceFunction> functions = new ArrayList<>(source.getLinesCount());
        boolean symbolized = false;
        for (var line : source.getLinesList()) {
            SourceFunction function = sourceFunction(line.getFunctionIndex());
            functions.add(function);
            symbolized |= function.isNamed();
        }
        if (symbolized) {
            for (int i = 0; i < source.getLinesCount(); i++) {
                long lineNumber = source.getLines(i).getLine();
                SourceFunction function = functions.get(i);
                location.addLine(Line.newBuilder().setFunctionId(functionId(function)).setLine(lineNumber));
                if (mapping != null) {
                    mapping.hasFunctions &= !function.name().isEmpty();
                    mapping.hasFilenames &= !function.filename().isEmpty();
                    mapping.hasLineNumbers &= lineNumber > 0;
                }
            }
            if (mapping != null && source.getLinesCount() > 1) {
                mapping.hasInlineFrames = true;
            }
        } else {
            location.addLine(Line.newBuilder().setFunctionId(syntheticFunctionId(mapping, source.getAddress())));
            if (mapping != null) {
                mapping.hasFunctions = false;
                mapping.hasFilenames = false;
                mapping.hasLineNumbers = false;
            }
        }
        profile.addLocation(location);
        locationIds.put(locationIndex, id);
        return id;
    }

    /**
     * The pprof mapping for an OTLP mapping index, or null for the OTLP null mapping (index 0) of
     * a user-space frame. Kernel frames get a copy of their mapping whose file name starts with
     * "[kernel]" (as Pyroscope does), so flame graphs tell them apart even when the agent sent the
     * null mapping.
     */
    private MappingState mapping(int mappingIndex, boolean kernel) {
        if (mappingIndex == 0 && !kernel) {
            return null;
        }
        long key = mappingIndex * 2L + (kernel ? 1 : 0);
        MappingState known = mappings.get(key);
        if (known != null) {
            return known;
        }
        var source = dictionary.mapping(mappingIndex, "Location.mapping_index");
        String filename = dictionary.string(source.getFilenameStrindex(), "Mapping.filename_strindex");
        if (kernel && !filename.startsWith(KERNEL_PREFIX)) {
            filename = filename.isEmpty() ? KERNEL_PREFIX : KERNEL_PREFIX + " " + filename;
        }
        String buildId = dictionary.attributeValue(
                source.getAttributeIndicesList(), GNU_BUILD_ID, "Mapping.attribute_indices");
        MappingState state = new MappingState(Mapping.newBuilder()
                .setId(mappingsInOrder.size() + 1L)
                .setMemoryStart(source.getMemoryStart())
                .setMemoryLimit(source.getMemoryLimit())
                .setFileOffset(source.getFileOffset())
                .setFilename(intern(filename))
                .setBuildId(intern(buildId)));
        mappings.put(key, state);
        mappingsInOrder.add(state);
        return state;
    }

    private SourceFunction sourceFunction(int functionIndex) {
        var source = dictionary.function(functionIndex, "Line.function_index");
        return new SourceFunction(functionIndex,
                dictionary.string(source.getNameStrindex(), "Function.name_strindex"),
                dictionary.string(source.getSystemNameStrindex(), "Function.system_name_strindex"),
                dictionary.string(source.getFilenameStrindex(), "Function.filename_strindex"),
                source.getStartLine());
    }

    private long functionId(SourceFunction function) {
        Long known = functionIds.get(function.index());
        if (known != null) {
            return known;
        }
        long id = addFunction(function.name(), function.systemName(), function.filename(), function.startLine());
        functionIds.put(function.index(), id);
        return id;
    }

    /**
     * A function standing in for a frame the agent could not symbolize, named
     * "{mapping file} 0x{address}" as Pyroscope names them, so the frame stays readable and
     * distinct in a flame graph. Its mapping is marked has_functions=false.
     */
    private long syntheticFunctionId(MappingState mapping, long address) {
        String file = mapping == null ? "" : profile.getStringTable((int) mapping.mapping.getFilename());
        String hexAddress = "0x" + Long.toHexString(address);
        String name = file.isEmpty() ? hexAddress : file + " " + hexAddress;
        Long known = syntheticFunctionIds.get(name);
        if (known != null) {
            return known;
        }
        long id = addFunction(name, "", "", 0);
        syntheticFunctionIds.put(name, id);
        return id;
    }

    private long addFunction(String name, String systemName, String filename, long startLine) {
        long id = profile.getFunctionCount() + 1L;
        profile.addFunction(Function.newBuilder()
                .setId(id)
                .setName(intern(name))
                .setSystemName(intern(systemName))
                .setFilename(intern(filename))
                .setStartLine(startLine));
        return id;
    }

    private long intern(String value) {
        Long known = strings.get(value);
        if (known != null) {
            return known;
        }
        long index = profile.getStringTableCount();
        profile.addStringTable(value);
        strings.put(value, index);
        return index;
    }
}
