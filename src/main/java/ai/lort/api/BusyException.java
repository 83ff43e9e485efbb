package ai.lort.api;

import ai.lort.LortException;

/** A generation was refused because every slot is busy and the queue is full ({@link ModelOptions#queue()}): try again later. */
public final class BusyException extends LortException {
    public BusyException(String message) { super(message); }
}
