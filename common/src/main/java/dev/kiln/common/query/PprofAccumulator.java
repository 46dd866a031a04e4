package dev.kiln.common.query;

import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.symbols.SymbolImporter;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.symbols.Symbols;
import dev.kiln.proto.pprof.Function;
import dev.kiln.proto.pprof.Line;
import dev.kiln.proto.pprof.Location;
import dev.kiln.proto.pprof.Mapping;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import dev.kiln.proto.pprof.ValueType;
import java.util.Arrays;

/**
 * Merges samples from any number of blocks into one pprof profile. Symbols are re-interned by
 * content, so the same function coming from two blocks (with different block-local ids) becomes
 * one pprof function, and identical stacks become one sample. Thread-safe.
 */
public final class PprofAccumulator {
    private final SymbolTable table = new SymbolTable();
    private long[] values = new long[1024];

    /** Adds {@code valuesByNode[n]} for each stack node {@code n} of a block's symbols. */
    public synchronized void add(Symbols s, long[] valuesByNode) {
        int n = Math.min(valuesByNode.length, s.stackNodeCount);
        long[] totals = Arrays.copyOf(valuesByNode, n);
        for (int i = n - 1; i > 0; i--) {
            totals[s.stackParent[i]] += totals[i];
        }
        SymbolImporter symbols = new SymbolImporter(table, s);
        for (int i = 1; i < n; i++) {
            if (totals[i] == 0) {
                continue;
            }
            // Parents come first (smaller ids, totals at least as large), so nodes are interned root-first.
            int node = symbols.stack(i);
            if (node >= values.length) {
                values = Arrays.copyOf(values, Math.max(values.length * 2, node + 1));
            }
            values[node] += valuesByNode[i];
        }
    }

    /** Adds a whole pprof profile (sample type {@code sampleType}), e.g. one returned by another component. */
    public void add(Profile profile, int sampleType) {
        byte[] bytes = profile.toByteArray();
        dev.kiln.common.pprof.PprofData d = new dev.kiln.common.pprof.PprofDecoder().decode(bytes, 0, bytes.length, new dev.kiln.common.pprof.PprofData());
        SymbolTable t = new SymbolTable();
        int[] stacks = t.importProfile(d, dev.kiln.common.pprof.PprofRefs.validate(d), Integer.MAX_VALUE);
        Symbols s = t.publish();
        long[] v = new long[s.stackNodeCount];
        for (int i = 0; i < d.sampleCount; i++) {
            v[stacks[i]] += d.value(i, sampleType);
        }
        add(s, v);
    }

    /** Builds the merged profile. Ids are 1-based; the tables' placeholder entries are left out. */
    public synchronized Profile build(ProfileTypeId type, long timeNanos, long durationNanos) {
        ValueType sampleType = ValueType.newBuilder()
                .setType(table.internString(type.sampleType())).setUnit(table.internString(type.sampleUnit())).build();
        ValueType periodType = ValueType.newBuilder()
                .setType(table.internString(type.periodType())).setUnit(table.internString(type.periodUnit())).build();
        Symbols s = table.publish();
        Profile.Builder p = Profile.newBuilder().addSampleType(sampleType).setPeriodType(periodType)
                .setTimeNanos(timeNanos).setDurationNanos(durationNanos);
        for (int i = 0; i < s.stringCount; i++) {
            p.addStringTable(s.strings[i]);
        }
        for (int m = 1; m < s.mappingCount; m++) {
            int f = s.mapFlags[m];
            p.addMapping(Mapping.newBuilder().setId(m).setMemoryStart(s.mapStart[m]).setMemoryLimit(s.mapLimit[m])
                    .setFileOffset(s.mapOffset[m]).setFilename(s.mapFilename[m]).setBuildId(s.mapBuildId[m])
                    .setHasFunctions((f & 1) != 0).setHasFilenames((f & 2) != 0)
                    .setHasLineNumbers((f & 4) != 0).setHasInlineFrames((f & 8) != 0));
        }
        for (int f = 1; f < s.functionCount; f++) {
            p.addFunction(Function.newBuilder().setId(f).setName(s.fnName[f]).setSystemName(s.fnSystemName[f])
                    .setFilename(s.fnFilename[f]).setStartLine(s.fnStartLine[f]));
        }
        for (int l = 1; l < s.locationCount; l++) {
            Location.Builder lb = Location.newBuilder().setId(l).setMappingId(s.locMapping[l]).setAddress(s.locAddress[l]);
            for (int k = 0; k < s.locLineCount[l]; k++) {
                int li = s.locLineStart[l] + k;
                lb.addLine(Line.newBuilder().setFunctionId(s.lineFunction[li]).setLine(s.lineNumber[li]));
            }
            p.addLocation(lb);
        }
        for (int node = 1; node < s.stackNodeCount && node < values.length; node++) {
            if (values[node] == 0) {
                continue;
            }
            Sample.Builder sb = Sample.newBuilder().addValue(values[node]);
            for (int n = node; n != 0; n = s.stackParent[n]) {
                sb.addLocationId(s.stackLocation[n]);
            }
            p.addSample(sb);
        }
        return p.build();
    }
}
