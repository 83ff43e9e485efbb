package ai.lort.tokenizer;

import ai.lort.LortException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Rewrites the Python-Jinja forms that jinjava cannot parse, or parses differently, into ones it reads alike. */
final class TemplateRewriter {
    private TemplateRewriter() {}

    private static final Pattern TAG = Pattern.compile("\\{\\{.*?\\}\\}|\\{%.*?%\\}", Pattern.DOTALL);
    private static final Pattern REVERSE_SLICE = Pattern.compile("([A-Za-z_]\\w*(?:\\.\\w+|\\[[^\\[\\]]*\\])*)\\[\\s*:\\s*:\\s*-1\\s*\\]");
    /** {@code not x is defined}: Jinja reads {@code not (x is defined)}, jinjava {@code (not x) is defined}. */
    private static final Pattern NOT_IS = Pattern.compile(
            "\\bnot\\s+([A-Za-z_]\\w*(?:\\.\\w+|\\[[^\\[\\]]*\\])*)\\s+is\\s+(not\\s+)?([A-Za-z_]\\w*)\\b(?!\\s*\\()");
    /** Escapes jinjava's string literals lack: {@code \\uXXXX}, {@code \\UXXXXXXXX}, {@code \\xXX} (and {@code \\\\}, to skip). */
    private static final Pattern ESCAPE = Pattern.compile("\\\\\\\\|\\\\u(\\p{XDigit}{4})|\\\\U(\\p{XDigit}{8})|\\\\x(\\p{XDigit}{2})");
    /** Deeper parentheses than any real template has: refused rather than recursed into. */
    private static final int MAX_DEPTH = 100;
    private static final Pattern KEYWORD = Pattern.compile("^\\s*[A-Za-z_]\\w*\\s*=(?!=)");

    /**
     * Rewrites Python forms jinjava parses differently: {@code x[::-1]} (no slice steps in jinjava)
     * becomes {@code (x|reverse)}; {@code not x is defined} becomes {@code not (x is defined)};
     * {@code \\u00e9} in a string becomes the character; and
     * keyword arguments get parentheses, since jinjava binds {@code f(a=b|length - 1)} as
     * {@code (a=b|length) - 1}.
     */
    static String rewrite(String template) {
        Matcher m = TAG.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String tag = m.group();
            if (!tag.matches("(?s)\\{%-?\\s*(macro|call)\\b.*")) {
                String inner = tag.substring(2, tag.length() - 2);
                inner = REVERSE_SLICE.matcher(inner).replaceAll("($1|reverse)");
                inner = NOT_IS.matcher(inner).replaceAll("not ($1 is $2$3)");
                inner = ESCAPE.matcher(inner).replaceAll(TemplateRewriter::unescape);
                tag = tag.substring(0, 2) + parenthesizeKeywords(inner) + tag.substring(tag.length() - 2);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(tag));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String unescape(java.util.regex.MatchResult m) {
        String hex = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
        if (hex == null) return Matcher.quoteReplacement(m.group());
        long code = Long.parseLong(hex, 16);
        // Not a Unicode code point (\U beyond 10FFFF): left as written; the template engine reports it.
        if (code > Character.MAX_CODE_POINT) return Matcher.quoteReplacement(m.group());
        String c = Character.toString((int) code);
        // A quote or backslash spelt in hex must stay escaped in the literal.
        return Matcher.quoteReplacement(c.equals("'") || c.equals("\"") || c.equals("\\") ? "\\" + c : c);
    }

    /** In every parenthesized argument list, {@code name=value} becomes {@code name=(value)}. */
    static String parenthesizeKeywords(String s) {
        StringBuilder out = new StringBuilder();
        group(s, 0, out, false, 0);
        return out.toString();
    }

    /** Copies s from i up to the closing ')' of this group (or the end), returning the index after it. */
    private static int group(String s, int i, StringBuilder out, boolean inParens, int nesting) {
        if (nesting > MAX_DEPTH) throw new LortException("chat template: parentheses nest more than " + MAX_DEPTH + " deep");
        List<String> args = new ArrayList<>();
        StringBuilder arg = new StringBuilder();
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                int end = i + 1;
                while (end < s.length() && s.charAt(end) != c) end += s.charAt(end) == '\\' ? 2 : 1;
                end = Math.min(end + 1, s.length());
                arg.append(s, i, end);
                i = end;
            } else if (c == '(') {
                arg.append('(');
                i = group(s, i + 1, arg, true, nesting + 1);
            } else if (c == '[' || c == '{') {
                // Brackets hold no keyword arguments, but their commas are not ours: copy them whole.
                int depth = 0, j = i;
                do {
                    char d = s.charAt(j);
                    if (d == '\'' || d == '"') {
                        j++;
                        while (j < s.length() && s.charAt(j) != d) j += s.charAt(j) == '\\' ? 2 : 1;
                    } else if (d == '[' || d == '{' || d == '(') depth++;
                    else if (d == ']' || d == '}' || d == ')') depth--;
                    j++;
                } while (j < s.length() && depth > 0);
                j = Math.min(j, s.length()); // an escape at the very end steps past it
                arg.append(s, i, j);
                i = j;
            } else if (inParens && c == ',') {
                args.add(arg.toString());
                arg.setLength(0);
                i++;
            } else if (inParens && c == ')') {
                args.add(arg.toString());
                for (int k = 0; k < args.size(); k++) {
                    if (k > 0) out.append(',');
                    Matcher kw = KEYWORD.matcher(args.get(k));
                    if (kw.find()) out.append(kw.group()).append('(').append(args.get(k).substring(kw.end())).append(')');
                    else out.append(args.get(k));
                }
                out.append(')');
                return i + 1;
            } else {
                arg.append(c);
                i++;
            }
        }
        if (!args.isEmpty()) out.append(String.join(",", args)).append(',');
        out.append(arg);
        return i;
    }
}
