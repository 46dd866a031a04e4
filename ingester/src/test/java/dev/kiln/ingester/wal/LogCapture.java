package dev.kiln.ingester.wal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/** Captures what one class logs, to assert on log lines and their key/values. */
final class LogCapture implements AutoCloseable {
    /** One captured line: its message and its structured key/values. */
    record Line(Level level, String message, Map<String, String> values) {}

    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    LogCapture(Class<?> source) {
        logger = (Logger) LoggerFactory.getLogger(source);
        appender.start();
        logger.addAppender(appender);
    }

    List<Line> warnings() {
        return appender.list.stream().filter(e -> e.getLevel() == Level.WARN).map(LogCapture::line).toList();
    }

    List<Line> lines() {
        return appender.list.stream().map(LogCapture::line).toList();
    }

    private static Line line(ILoggingEvent e) {
        Map<String, String> values = new LinkedHashMap<>();
        if (e.getKeyValuePairs() != null) {
            for (KeyValuePair kv : e.getKeyValuePairs()) {
                values.put(kv.key, String.valueOf(kv.value));
            }
        }
        return new Line(e.getLevel(), e.getFormattedMessage(), values);
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
    }
}
