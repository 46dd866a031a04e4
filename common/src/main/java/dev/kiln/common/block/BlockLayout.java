package dev.kiln.common.block;

import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.Labels;
import java.util.Comparator;
import java.util.List;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * File names and Parquet schemas of a block (format version {@value #FORMAT_VERSION}); docs/block-format.md
 * describes them for operators and other tools. In every symbol file, row {@code i} holds the entry
 * with id {@code i}, and row 0 is the "none" placeholder (empty string, mapping, function, location,
 * and the root of the stack tree).
 */
final class BlockLayout {
    static final int FORMAT_VERSION = 1;

    static final String META = "meta.json";
    static final String SERIES = "series.parquet";
    static final String PROFILES = "profiles.parquet";
    static final String STRINGS = "symbols/strings.parquet";
    static final String MAPPINGS = "symbols/mappings.parquet";
    static final String FUNCTIONS = "symbols/functions.parquet";
    static final String LOCATIONS = "symbols/locations.parquet";
    static final String STACKS = "symbols/stacks.parquet";

    /**
     * The rollup windows the compactor writes, in ms: hours for the edges of a long range, days
     * for the rest. Each divides the next, so windows nest; meta.json records the windows of each
     * block, and readers use that record, not this constant.
     */
    static final List<Long> ROLLUP_WINDOWS_MS = List.of(3_600_000L, 86_400_000L);

    /**
     * The rollup file of one window length, e.g. {@code rollup/1h.parquet}, {@code rollup/24h.parquet}:
     * one file per length, so that a query reading the long windows fetches pages of those alone.
     */
    static String rollupFile(long windowMs) {
        String length;
        if (windowMs % 3_600_000L == 0) {
            length = windowMs / 3_600_000L + "h";
        } else if (windowMs % 60_000L == 0) {
            length = windowMs / 60_000L + "m";
        } else if (windowMs % 1000L == 0) {
            length = windowMs / 1000L + "s";
        } else {
            length = windowMs + "ms";
        }
        return "rollup/" + length + ".parquet";
    }

    /**
     * The order of series in a block: by profile type, then service, then all labels. Queries
     * select one profile type and usually one service, so their profiles sit in one contiguous run
     * of rows (plain label order would put {@code pod} or {@code namespace} before
     * {@code service_name} and scatter a service across the file).
     */
    static final Comparator<Labels> SERIES_ORDER = Comparator
            .comparing((Labels l) -> l.getOrEmpty(LabelNames.PROFILE_TYPE))
            .thenComparing(l -> l.getOrEmpty(LabelNames.SERVICE_NAME))
            .thenComparing(Comparator.naturalOrder());

    /**
     * The end of the rollup window of length {@code windowMs} holding {@code timeMs}: windows are
     * {@code (end - windowMs, end]} with {@code end} a multiple of {@code windowMs} since the Unix
     * epoch, closed on the right like the query API's time-series buckets, so that a series query
     * whose step is a multiple of a window length and whose points are aligned to it finds every
     * window of that length inside one bucket.
     */
    static long rollupWindowEnd(long timeMs, long windowMs) {
        return Math.ceilDiv(timeMs, windowMs) * windowMs;
    }

    /**
     * Whether two series belong to the same service: the same profile type and service name. A
     * service's series are adjacent in block order, and the rollup sums them as a whole too, since
     * most queries select a service.
     */
    static boolean sameService(Labels a, Labels b) {
        return a.getOrEmpty(LabelNames.PROFILE_TYPE).equals(b.getOrEmpty(LabelNames.PROFILE_TYPE))
                && a.getOrEmpty(LabelNames.SERVICE_NAME).equals(b.getOrEmpty(LabelNames.SERVICE_NAME));
    }

    /** Data files in upload order; meta.json goes last and marks the block complete. */
    static final List<String> DATA_FILES = List.of(SERIES, PROFILES, STRINGS, MAPPINGS, FUNCTIONS, LOCATIONS, STACKS);

    /** One row per series, in {@link #SERIES_ORDER}; the series' profiles are rows [first_row, first_row + profile_count). */
    static final MessageType SERIES_SCHEMA = MessageTypeParser.parseMessageType("""
            message series {
              required int32 series_index;
              required int64 fingerprint;
              required group labels (MAP) {
                repeated group key_value {
                  required binary key (STRING);
                  required binary value (STRING);
                }
              }
              required int64 first_row;
              required int32 profile_count;
              required int64 min_time_nanos (TIMESTAMP(NANOS,true));
              required int64 max_time_nanos (TIMESTAMP(NANOS,true));
            }
            """);

    /**
     * One row per stored profile, sorted by series index, then time, then id. Samples are sorted by
     * stack id; span_id is null for profiles recorded without spans.
     */
    static final MessageType PROFILES_SCHEMA = MessageTypeParser.parseMessageType("""
            message profiles {
              required int32 series_index;
              required int64 time_nanos (TIMESTAMP(NANOS,true));
              required binary id (STRING);
              required int64 total_value;
              required group samples (LIST) {
                repeated group list {
                  required group element {
                    required int32 stack_id;
                    required int64 value;
                    optional int64 span_id;
                  }
                }
              }
            }
            """);

    /**
     * A rollup file ({@link #rollupFile}). A row sums the profiles of series
     * {@code [series_index, series_index + series_count)} in the window
     * {@code (window_end_ms - window_ms, window_end_ms]}: samples summed per stack id (sorted by
     * stack id), totals summed, profiles counted. Per service (see {@link #sameService}, in block
     * order): per series, a row per window from the one holding the series' first profile to the
     * one holding its last; then, for a service of two or more series, the same for the service as
     * a whole. Windows without profiles have a row too (count 0), so a reader computes every row's
     * position from the series index alone.
     */
    static final MessageType ROLLUP_SCHEMA = MessageTypeParser.parseMessageType("""
            message rollup {
              required int32 series_index;
              required int32 series_count;
              required int64 window_ms;
              required int64 window_end_ms (TIMESTAMP(MILLIS,true));
              required int32 profile_count;
              required int64 total_value;
              required group samples (LIST) {
                repeated group list {
                  required group element {
                    required int32 stack_id;
                    required int64 value;
                  }
                }
              }
            }
            """);

    static final MessageType STRINGS_SCHEMA = MessageTypeParser.parseMessageType("""
            message strings {
              required binary value (STRING);
            }
            """);

    /** String columns hold string ids; flags: 1 has_functions, 2 has_filenames, 4 has_line_numbers, 8 has_inline_frames. */
    static final MessageType MAPPINGS_SCHEMA = MessageTypeParser.parseMessageType("""
            message mappings {
              required int64 memory_start;
              required int64 memory_limit;
              required int64 file_offset;
              required int32 filename;
              required int32 build_id;
              required int32 flags;
            }
            """);

    static final MessageType FUNCTIONS_SCHEMA = MessageTypeParser.parseMessageType("""
            message functions {
              required int32 name;
              required int32 system_name;
              required int32 filename;
              required int32 start_line;
            }
            """);

    /** Lines run innermost (inlined) frame first, as in pprof. */
    static final MessageType LOCATIONS_SCHEMA = MessageTypeParser.parseMessageType("""
            message locations {
              required int32 mapping;
              required int64 address;
              required group lines (LIST) {
                repeated group list {
                  required group element {
                    required int32 function;
                    required int32 line;
                  }
                }
              }
            }
            """);

    /**
     * The stack-trace tree: node {@code i} is frame {@code location} called from node {@code parent}
     * ({@code parent < i}); a profile's stack_id is the leaf-most node of the sample's stack.
     */
    static final MessageType STACKS_SCHEMA = MessageTypeParser.parseMessageType("""
            message stacks {
              required int32 parent;
              required int32 location;
            }
            """);

    private BlockLayout() {}
}
