package dev.kiln.common.server;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.Callable;

/** Runs a unary gRPC method body and maps its exceptions with {@link GrpcErrors}. */
public final class Unary {
    private Unary() {}

    public static <T> void run(StreamObserver<T> observer, Callable<T> body) {
        T result;
        try {
            result = body.call();
        } catch (Throwable t) {
            observer.onError(GrpcErrors.toException(t));
            return;
        }
        observer.onNext(result);
        observer.onCompleted();
    }
}
