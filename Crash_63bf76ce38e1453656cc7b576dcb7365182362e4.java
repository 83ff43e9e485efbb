import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

public class Crash_63bf76ce38e1453656cc7b576dcb7365182362e4 {
    static final String base64Bytes = String.join("", "gTxodG1sPjxib2R5PjxwIGNsYXNzPSJ4Ij5IaSAmYW1wOyBieWU8fHZpc2lvbl9lbmR8PnRtbD4=");

    public static void main(String[] args) throws Throwable {
        Crash_63bf76ce38e1453656cc7b576dcb7365182362e4.class.getClassLoader().setDefaultAssertionStatus(true);
        try {
            Method fuzzerInitialize = ai.lort.tokenizer.TokenizerEncodeFuzzer.class.getMethod("fuzzerInitialize");
            fuzzerInitialize.invoke(null);
        } catch (NoSuchMethodException ignored) {
            try {
                Method fuzzerInitialize = ai.lort.tokenizer.TokenizerEncodeFuzzer.class.getMethod("fuzzerInitialize", String[].class);
                fuzzerInitialize.invoke(null, (Object) args);
            } catch (NoSuchMethodException ignored1) {
            } catch (IllegalAccessException | InvocationTargetException e) {
                e.printStackTrace();
                System.exit(1);
            }
        } catch (IllegalAccessException | InvocationTargetException e) {
            e.printStackTrace();
            System.exit(1);
        }
        byte[] input = java.util.Base64.getDecoder().decode(base64Bytes);
        ai.lort.tokenizer.TokenizerEncodeFuzzer.fuzzerTestOneInput(input);
    }
}