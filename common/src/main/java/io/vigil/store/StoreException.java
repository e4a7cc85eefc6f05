package io.vigil.store;

/**
 * etcd could not be reached or did not answer in time. Every kind of failure (timeout, refused,
 * no leader, auth) is this one exception: the HA logic treats them all alike.
 */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
