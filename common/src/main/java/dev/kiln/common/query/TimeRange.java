package dev.kiln.common.query;

/** An inclusive range of milliseconds since epoch; profiles are selected by their timestamp in ms. */
public record TimeRange(long startMs, long endMs) {
    public static final TimeRange ALL = new TimeRange(Long.MIN_VALUE, Long.MAX_VALUE);

    public static TimeRange of(long startMs, long endMs) {
        if (startMs == 0 && endMs == 0) {
            return ALL;
        }
        return new TimeRange(startMs, endMs == 0 ? Long.MAX_VALUE : endMs);
    }

    public static TimeRange fromProto(dev.kiln.proto.query.v1.TimeRange r) {
        return of(r.getStart(), r.getEnd());
    }

    public boolean containsNanos(long tsNanos) {
        long ms = Math.floorDiv(tsNanos, 1_000_000L);
        return ms >= startMs && ms <= endMs;
    }

    public boolean overlaps(long minMs, long maxMs) {
        return minMs <= endMs && maxMs >= startMs;
    }

    public dev.kiln.proto.query.v1.TimeRange toProto() {
        return dev.kiln.proto.query.v1.TimeRange.newBuilder()
                .setStart(this == ALL ? 0 : startMs)
                .setEnd(this == ALL || endMs == Long.MAX_VALUE ? 0 : endMs)
                .build();
    }
}
