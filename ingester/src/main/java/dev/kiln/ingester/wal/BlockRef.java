package dev.kiln.ingester.wal;

/** A head block as the log knows it: records name it, and flushing it makes its records obsolete. */
record BlockRef(String tenant, String blockId) {}
