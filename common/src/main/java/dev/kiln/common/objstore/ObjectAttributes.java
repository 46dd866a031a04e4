package dev.kiln.common.objstore;

import java.time.Instant;

/**
 * What {@link ObjectStore#stat} reports about an object.
 *
 * @param size         length in bytes
 * @param lastModified when the object was last written (S3 reports whole seconds)
 */
public record ObjectAttributes(long size, Instant lastModified) {
}
