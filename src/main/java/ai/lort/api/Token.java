package ai.lort.api;

/**
 * One generated token as it streams.
 *
 * @param id   the token id
 * @param text the text it adds (may be empty: a character split over several tokens comes whole
 *             with its last one; text that might begin a stop sequence is held back until it does not)
 */
public record Token(int id, String text) {}
