package ai.lort.tokenizer;

import ai.lort.LortException;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.beans.FeatureDescriptor;
import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * What chat templates written for Python's Jinja2 need and jinjava lacks: Python string methods
 * ({@code .startswith}, {@code .strip('\n')}, {@code .split(sep)} with Python's semantics...),
 * {@code |tojson} formatted as Python's {@code json.dumps}, {@code raise_exception}, {@code strftime_now},
 * (the syntax jinjava parses differently is rewritten by {@link TemplateRewriter}).
 */
final class JinjaPython {
    private JinjaPython() {}

    /**
     * Resolves Python string methods on any string, and {@code dict.get(key, default)}, before
     * jinjava's own resolvers look for Java methods.
     */
    static final class PythonMethods extends ELResolver {
        @Override public Class<?> getCommonPropertyType(ELContext c, Object base) { return null; }

        @Override public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext c, Object base) { return null; }

        @Override public Class<?> getType(ELContext c, Object base, Object property) { return null; }

        @Override public Object getValue(ELContext c, Object base, Object property) { return null; }

        @Override public boolean isReadOnly(ELContext c, Object base, Object property) { return true; }

        @Override public void setValue(ELContext c, Object base, Object property, Object value) {}

        @Override
        public Object invoke(ELContext c, Object base, Object method, Class<?>[] types, Object[] params) {
            if (!(method instanceof String name)) return null;
            Object[] p = params == null ? new Object[0] : params;
            if (base instanceof Map<?, ?> map && name.equals("get") && (p.length == 1 || p.length == 2)) {
                c.setPropertyResolved(true);
                Object value = map.get(p[0]);
                return value != null || map.containsKey(p[0]) ? value : p.length == 2 ? p[1] : null;
            }
            if (!(base instanceof String s)) return null;
            Object result = call(s, name, p);
            if (result != NOT_FOUND) c.setPropertyResolved(true);
            return result == NOT_FOUND ? null : result;
        }
    }

    private static final Object NOT_FOUND = new Object();

    private static Object call(String s, String name, Object[] p) {
        String arg0 = p.length > 0 && p[0] != null ? String.valueOf(p[0]) : null;
        return switch (name) {
            case "startswith" -> p[0] instanceof Collection<?> options
                    ? options.stream().anyMatch(o -> s.startsWith(String.valueOf(o))) : s.startsWith(arg0);
            case "endswith" -> p[0] instanceof Collection<?> options
                    ? options.stream().anyMatch(o -> s.endsWith(String.valueOf(o))) : s.endsWith(arg0);
            case "strip" -> rstrip(lstrip(s, arg0), arg0);
            case "lstrip" -> lstrip(s, arg0);
            case "rstrip" -> rstrip(s, arg0);
            case "split" -> split(s, arg0, p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "find" -> (long) s.indexOf(arg0);
            case "count" -> (long) (arg0.isEmpty() ? s.length() + 1 : s.split(Pattern.quote(arg0), -1).length - 1);
            case "replace" -> p.length > 2 ? replace(s, arg0, String.valueOf(p[1]), ((Number) p[2]).intValue())
                    : s.replace(arg0, String.valueOf(p[1]));
            case "join" -> String.join(s, ((Collection<?>) p[0]).stream().map(String::valueOf).toList());
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            default -> NOT_FOUND;
        };
    }

    private static boolean strips(String chars, int c) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strips(chars, s.charAt(i))) i++;
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0 && strips(chars, s.charAt(i - 1))) i--;
        return s.substring(0, i);
    }

    /** Python's split: a literal separator keeping empty pieces, or (no separator) runs of whitespace. */
    static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            for (String w : s.strip().split("\\s+", maxSplit < 0 ? 0 : maxSplit + 1)) if (!w.isEmpty()) out.add(w);
            return out;
        }
        int from = 0, at;
        while ((maxSplit < 0 || out.size() < maxSplit) && (at = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String replace(String s, String old, String with, int count) {
        StringBuilder b = new StringBuilder();
        int from = 0, at, n = 0;
        while ((count < 0 || n < count) && (at = s.indexOf(old, from)) >= 0) {
            b.append(s, from, at).append(with);
            from = at + old.length();
            n++;
        }
        return b.append(s.substring(from)).toString();
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder();
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            b.append(previousCased ? Character.toLowerCase(ch) : Character.toUpperCase(ch));
            previousCased = Character.isLetter(ch);
        }
        return b.toString();
    }

    /** {@code |items}: a mapping's (key, value) pairs, for {@code {% for k, v in d|items %}}. */
    static final class Items implements Filter {
        @Override public String getName() { return "items"; }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (!(var instanceof Map<?, ?> map)) return List.of();
            return map.entrySet().stream().map(e -> java.util.Arrays.asList(e.getKey(), e.getValue())).toList();
        }
    }

    /** {@code |tojson} as transformers defines it: json.dumps with ensure_ascii=False, optional indent. */
    static final class ToJson implements Filter {
        @Override public String getName() { return "tojson"; }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            int indent = args.length > 0 && args[0] != null ? Integer.parseInt(args[0].trim()) : -1;
            StringBuilder b = new StringBuilder();
            json(var, indent, 0, b);
            return b.toString();
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            return filter(var, interpreter, indent == null ? new String[0] : new String[] {String.valueOf(indent)});
        }
    }

    static void json(Object v, int indent, int level, StringBuilder b) {
        if (v == null) b.append("null");
        else if (v instanceof Boolean || v instanceof Number) b.append(v);
        else if (v instanceof Map<?, ?> map) {
            container(b, '{', '}', map.entrySet(), indent, level, (e, sb) -> {
                quote(String.valueOf(e.getKey()), sb);
                sb.append(": ");
                json(e.getValue(), indent, level + 1, sb);
            });
        } else if (v instanceof Collection<?> list) {
            container(b, '[', ']', list, indent, level, (e, sb) -> json(e, indent, level + 1, sb));
        } else if (v instanceof Object[] array) {
            json(List.of(array), indent, level, b);
        } else quote(String.valueOf(v), b);
    }

    private static <T> void container(StringBuilder b, char open, char close, Collection<T> items, int indent, int level,
                                      java.util.function.BiConsumer<T, StringBuilder> item) {
        b.append(open);
        if (items.isEmpty()) {
            b.append(close);
            return;
        }
        boolean first = true;
        for (T t : items) {
            if (!first) b.append(indent >= 0 ? "," : ", ");
            if (indent >= 0) b.append('\n').append(" ".repeat(indent * (level + 1)));
            item.accept(t, b);
            first = false;
        }
        if (indent >= 0) b.append('\n').append(" ".repeat(indent * level));
        b.append(close);
    }

    private static void quote(String s, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }

    /** transformers' {@code raise_exception(message)}: the template refuses the conversation. */
    public static String raiseException(String message) {
        throw new LortException("the chat template refused the conversation: " + message);
    }

    /** transformers' {@code strftime_now(format)}, for the usual strftime fields. */
    public static String strftimeNow(String format) {
        LocalDateTime now = LocalDateTime.now();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                b.append(c);
                continue;
            }
            char f = format.charAt(++i);
            switch (f) {
                case 'd' -> b.append(String.format("%02d", now.getDayOfMonth()));
                case 'm' -> b.append(String.format("%02d", now.getMonthValue()));
                case 'Y' -> b.append(now.getYear());
                case 'y' -> b.append(String.format("%02d", now.getYear() % 100));
                case 'H' -> b.append(String.format("%02d", now.getHour()));
                case 'M' -> b.append(String.format("%02d", now.getMinute()));
                case 'S' -> b.append(String.format("%02d", now.getSecond()));
                case 'b' -> b.append(now.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> b.append(now.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> b.append(now.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> b.append(now.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case '%' -> b.append('%');
                default -> b.append('%').append(f);
            }
        }
        return b.toString();
    }
}
