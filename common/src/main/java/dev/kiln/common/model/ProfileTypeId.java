package dev.kiln.common.model;

import dev.kiln.common.InvalidInputException;
import dev.kiln.proto.types.v1.ProfileType;

/**
 * A profile type id {@code <name>:<sample_type>:<sample_unit>:<period_type>:<period_unit>}, e.g.
 * {@code process_cpu:cpu:nanoseconds:cpu:nanoseconds}. A trailing {@code :delta} part is accepted
 * and ignored, as Pyroscope does.
 */
public record ProfileTypeId(String name, String sampleType, String sampleUnit, String periodType, String periodUnit) {

    public static ProfileTypeId parse(String id) {
        if (id == null || id.isEmpty()) {
            throw new InvalidInputException("profile type id is required, e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds");
        }
        String[] parts = id.split(":", -1);
        if (parts.length != 5 && !(parts.length == 6 && parts[5].equals("delta"))) {
            throw new InvalidInputException("invalid profile type id '" + id
                    + "': expected <name>:<sample_type>:<sample_unit>:<period_type>:<period_unit>");
        }
        if (parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new InvalidInputException("invalid profile type id '" + id + "': name and sample type must not be empty");
        }
        return new ProfileTypeId(parts[0], parts[1], parts[2], parts[3], parts[4]);
    }

    public String id() {
        return name + ":" + sampleType + ":" + sampleUnit + ":" + periodType + ":" + periodUnit;
    }

    public ProfileType toProto() {
        return ProfileType.newBuilder()
                .setID(id())
                .setName(name)
                .setSampleType(sampleType)
                .setSampleUnit(sampleUnit)
                .setPeriodType(periodType)
                .setPeriodUnit(periodUnit)
                .build();
    }

    @Override
    public String toString() {
        return id();
    }
}
