package dev.kiln.common.model;

/** Label names with a meaning in Pyroscope's data model (wire.md §4). */
public final class LabelNames {
    public static final String NAME = "__name__";
    public static final String PROFILE_TYPE = "__profile_type__";
    public static final String TYPE = "__type__";
    public static final String UNIT = "__unit__";
    public static final String PERIOD_TYPE = "__period_type__";
    public static final String PERIOD_UNIT = "__period_unit__";
    public static final String DELTA = "__delta__";
    public static final String OTEL = "__otel__";
    /** The {@code __name__} a client sent when ingestion relabeling replaced it (e.g. {@code godeltaprof_memory}). */
    public static final String NAME_REPLACED = "__name_replaced__";
    public static final String SESSION_ID = "__session_id__";
    public static final String SERVICE_NAME = "service_name";
    public static final String APP_NAME = "app_name";
    public static final String SPY = "pyroscope_spy";
    public static final String JFR_EVENT = "jfr_event";
    public static final String SPAN_ID = "span_id";
    public static final String SPAN_NAME = "span_name";
    public static final String TRACE_ID = "trace_id";
    public static final String PROFILE_ID = "profile_id";

    public static final String UNKNOWN_SERVICE = "unknown_service";

    private LabelNames() {}

    /** Names starting with {@code __} are private; clients may only send a few of them. */
    public static boolean isPrivate(String name) {
        return name.startsWith("__");
    }
}
