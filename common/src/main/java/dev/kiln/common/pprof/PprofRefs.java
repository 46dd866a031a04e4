package dev.kiln.common.pprof;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.symbols.LongIntHashMap;

/**
 * Validates every reference of a decoded pprof (string indexes, mapping/function/location ids,
 * value counts) and indexes its ids, before anything is stored. Ingest validates first, then writes
 * the WAL, then imports: an import can therefore never fail half way.
 */
public final class PprofRefs {
    public final IdIndex mappings;
    public final IdIndex functions;
    public final IdIndex locations;

    private PprofRefs(IdIndex mappings, IdIndex functions, IdIndex locations) {
        this.mappings = mappings;
        this.functions = functions;
        this.locations = locations;
    }

    public static PprofRefs validate(PprofData p) {
        if (p.stringCount == 0 || p.strLen[0] != 0) {
            throw invalid("string_table[0] must be the empty string");
        }
        for (int i = 0; i < p.sampleTypeCount; i++) {
            str(p, p.sampleTypeType[i], "sample_type");
            str(p, p.sampleTypeUnit[i], "sample_type");
        }
        str(p, p.periodTypeType, "period_type");
        str(p, p.periodTypeUnit, "period_type");
        IdIndex mappings = new IdIndex(p.mapId, p.mappingCount, "mapping");
        for (int i = 0; i < p.mappingCount; i++) {
            str(p, p.mapFilename[i], "mapping filename");
            str(p, p.mapBuildId[i], "mapping build_id");
        }
        IdIndex functions = new IdIndex(p.fnId, p.functionCount, "function");
        for (int i = 0; i < p.functionCount; i++) {
            str(p, p.fnName[i], "function name");
            str(p, p.fnSystemName[i], "function system_name");
            str(p, p.fnFilename[i], "function filename");
        }
        IdIndex locations = new IdIndex(p.locId, p.locationCount, "location");
        for (int i = 0; i < p.locationCount; i++) {
            if (p.locMappingId[i] != 0) {
                mappings.index(p.locMappingId[i]);
            }
            for (int k = 0; k < p.locLineCount[i]; k++) {
                long fn = p.lineFunctionId[p.locLineStart[i] + k];
                if (fn == 0) {
                    throw invalid("location " + Long.toUnsignedString(p.locId[i]) + " has a line without function_id");
                }
                functions.index(fn);
            }
        }
        for (int s = 0; s < p.sampleCount; s++) {
            if (p.sampleValCount[s] != p.sampleTypeCount) {
                throw invalid("sample " + s + " has " + p.sampleValCount[s] + " values but the profile has "
                        + p.sampleTypeCount + " sample types");
            }
            int start = p.sampleLocStart[s];
            for (int i = start; i < start + p.sampleLocCount[s]; i++) {
                locations.index(p.locIds[i]);
            }
            int ls = p.sampleLabelStart[s];
            for (int i = ls; i < ls + p.sampleLabelCount[s]; i++) {
                str(p, p.labelKey[i], "sample label key");
                str(p, p.labelStr[i], "sample label value");
            }
        }
        return new PprofRefs(mappings, functions, locations);
    }

    private static void str(PprofData p, long idx, String what) {
        if (idx < 0 || idx >= p.stringCount) {
            throw invalid(what + " string index " + idx + " out of range (table has " + p.stringCount + ")");
        }
    }

    static InvalidInputException invalid(String msg) {
        return new InvalidInputException("invalid pprof profile: " + msg);
    }

    /** Maps pprof ids (arbitrary uint64, usually 1..n) to positions. */
    public static final class IdIndex {
        private final boolean dense;
        private final LongIntHashMap map;
        private final int count;
        private final String what;

        IdIndex(long[] ids, int count, String what) {
            this.count = count;
            this.what = what;
            boolean d = true;
            for (int i = 0; i < count; i++) {
                if (ids[i] != i + 1) {
                    d = false;
                    break;
                }
            }
            dense = d;
            if (d) {
                map = null;
            } else {
                map = new LongIntHashMap(count);
                for (int i = 0; i < count; i++) {
                    if (ids[i] == 0 || ids[i] == Long.MIN_VALUE) {
                        throw invalid(what + " has invalid id " + Long.toUnsignedString(ids[i]));
                    }
                    if (map.get(ids[i]) >= 0) {
                        throw invalid("duplicate " + what + " id " + Long.toUnsignedString(ids[i]));
                    }
                    map.put(ids[i], i);
                }
            }
        }

        /** The position of {@code id}; an unknown id is an {@link InvalidInputException}. */
        public int index(long id) {
            int i = dense ? (id >= 1 && id <= count ? (int) (id - 1) : -1) : map.get(id);
            if (i < 0) {
                throw invalid("reference to unknown " + what + " id " + Long.toUnsignedString(id));
            }
            return i;
        }
    }
}
