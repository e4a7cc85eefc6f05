package io.vigil.agent.pg;

/** A Postgres operation failed; the message says which and why. */
public class PostgresException extends RuntimeException {
    public PostgresException(String message) {
        super(message);
    }
}
