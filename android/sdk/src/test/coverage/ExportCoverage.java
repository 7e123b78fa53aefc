// Proves, from JaCoCo's record of the JUnit run, that the JVM tests exercise every export of
// gridline-mobile. Run by scripts/test-mobile as a single-file Java program:
//
//   java -cp org.jacoco.core.jar:asm*.jar ExportCoverage.java HEADER BINDINGS_KT CLASSES EXEC
//
// The exports are read from the generated C header, never from a list kept by hand, so a new
// export fails the check until a test runs it. The rule, per header symbol:
//
//   uniffi_<ns>_fn_func_<name>               the top-level Kotlin function lowerCamel(name) ran
//   uniffi_<ns>_fn_constructor_<obj>_new     the object's Kotlin constructor ran (the one that
//                                            calls Rust, not the NoHandle one)
//   uniffi_<ns>_fn_constructor_<obj>_<name>  the companion function lowerCamel(name) ran
//   uniffi_<ns>_fn_method_<obj>_<name>       the method lowerCamel(name) of the object's class
//                                            ran; for a callback interface (the header also has
//                                            init_callback_vtable_<obj>), Rust called the Kotlin
//                                            implementation: uniffiCallbackInterface<Obj>.<name>
//
// and per variant of every error class in the bindings (`sealed class X: kotlin.Exception()`):
// the variant crossed the FFI boundary, lifted from Rust (its branch in FfiConverterTypeX.read
// ran) or lowered to Rust (its branch in FfiConverterTypeX.write ran). A variant that a test
// only constructs itself does not count.
//
// Prints `exports exercised: N of M`, then each missing export; exits 1 when any is missing.

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jacoco.core.analysis.Analyzer;
import org.jacoco.core.analysis.CoverageBuilder;
import org.jacoco.core.analysis.IClassCoverage;
import org.jacoco.core.analysis.IMethodCoverage;
import org.jacoco.core.data.ExecutionData;
import org.jacoco.core.data.ExecutionDataStore;
import org.jacoco.core.internal.data.CRC64;
import org.jacoco.core.tools.ExecFileLoader;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

public class ExportCoverage {
    private static final Pattern SYMBOL =
            Pattern.compile("\\buniffi_([a-z0-9_]+?)_fn_(func|method|constructor|init_callback_vtable)_([a-z0-9_]+)\\b");
    private static final Pattern ERROR_CLASS = Pattern.compile("^sealed class (\\w+): kotlin\\.Exception\\(\\)");

    private final List<IClassCoverage> classes = new ArrayList<>();
    /** Lines of the bindings file that ran at least one instruction. */
    private final Set<Integer> coveredLines = new HashSet<>();

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: ExportCoverage HEADER BINDINGS_KT CLASSES EXEC");
            System.exit(2);
        }
        ExportCoverage check = new ExportCoverage(new File(args[2]), new File(args[3]), new File(args[1]).getName());
        List<String> exercised = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        check.exports(Files.readString(new File(args[0]).toPath()), exercised, missing);
        check.errorVariants(Files.readAllLines(new File(args[1]).toPath()), exercised, missing);
        if (exercised.isEmpty() && missing.isEmpty()) {
            System.err.println("no exports found in " + args[0]);
            System.exit(1);
        }
        System.out.printf("exports exercised: %d of %d%n", exercised.size(), exercised.size() + missing.size());
        for (String m : missing) {
            System.out.println("  not exercised: " + m);
        }
        System.exit(missing.isEmpty() ? 0 : 1);
    }

    private ExportCoverage(File classDir, File exec, String sourceFile) throws IOException {
        ExecFileLoader loader = new ExecFileLoader();
        loader.load(exec);
        ExecutionDataStore recorded = loader.getExecutionDataStore();
        CoverageBuilder builder = new CoverageBuilder();
        File[] classFiles = classDir.listFiles((dir, name) -> name.endsWith(".class"));
        if (classFiles == null) {
            throw new IOException("no class folder " + classDir);
        }
        for (File file : classFiles) {
            // JaCoCo 0.8.6 (Debian's) cannot read the inline-function maps (SMAP) that current
            // Kotlin writes, nor a sealed class's permitted subclasses, so both are dropped
            // before analysis: neither holds code. The class is otherwise
            // copied as is, so its probes are the same; JaCoCo finds a class's record by a hash
            // of its bytes, so the record made for the original bytes is filed under the hash
            // of the copy.
            byte[] original = Files.readAllBytes(file.toPath());
            ClassWriter writer = new ClassWriter(0);
            new ClassReader(original).accept(new ClassVisitor(Opcodes.ASM9, writer) {
                @Override
                public void visitSource(String source, String debug) {
                    super.visitSource(source, null);
                }

                @Override
                public void visitPermittedSubclass(String permittedSubclass) {
                    // Sealed classes: JaCoCo 0.8.6's reader stops at this Java 17 attribute.
                }
            }, 0);
            byte[] withoutSmap = writer.toByteArray();
            ExecutionDataStore store = new ExecutionDataStore();
            ExecutionData data = recorded.get(CRC64.classId(original));
            if (data != null) {
                store.put(new ExecutionData(CRC64.classId(withoutSmap), data.getName(), data.getProbes()));
            }
            new Analyzer(store, builder).analyzeClass(withoutSmap, file.getPath());
        }
        classes.addAll(builder.getClasses());
        for (IClassCoverage c : classes) {
            if (!sourceFile.equals(c.getSourceFileName()) || c.getFirstLine() < 0) {
                continue;
            }
            for (int line = c.getFirstLine(); line <= c.getLastLine(); line++) {
                if (c.getLine(line).getInstructionCounter().getCoveredCount() > 0) {
                    coveredLines.add(line);
                }
            }
        }
        if (classes.isEmpty()) {
            throw new IOException("no classes under " + classDir);
        }
    }

    private void exports(String header, List<String> exercised, List<String> missing) {
        Set<String> callbackInterfaces = new HashSet<>();
        Set<String> symbols = new TreeSet<>();
        Matcher m = SYMBOL.matcher(header);
        while (m.find()) {
            if (m.group(2).equals("init_callback_vtable")) {
                callbackInterfaces.add(m.group(3));
            } else {
                symbols.add(m.group(2) + " " + m.group(3));
            }
        }
        for (String symbol : symbols) {
            String kind = symbol.substring(0, symbol.indexOf(' '));
            String rest = symbol.substring(kind.length() + 1);
            String label;
            boolean ran;
            if (kind.equals("func")) {
                String name = lowerCamel(rest);
                label = "function " + name;
                ran = ran(c -> simpleName(c).endsWith("Kt"), name);
            } else {
                // UniFFI writes object names lower-cased and without underscores.
                int split = rest.indexOf('_');
                String obj = rest.substring(0, split);
                String name = lowerCamel(rest.substring(split + 1));
                if (kind.equals("constructor") && name.equals("new")) {
                    label = "constructor " + obj;
                    ran = ranConstructor(obj);
                } else if (kind.equals("constructor")) {
                    label = "constructor " + obj + "." + name;
                    ran = ran(c -> lower(simpleName(c)).equals(obj + "$companion"), name);
                } else if (callbackInterfaces.contains(obj)) {
                    label = "callback " + obj + "." + name + " (Rust calling the Kotlin implementation)";
                    String vtable = lower("uniffiCallbackInterface" + obj + "$" + name);
                    ran = ran(c -> lower(simpleName(c)).equals(vtable), "callback");
                } else {
                    label = "method " + obj + "." + name;
                    ran = ran(c -> lower(simpleName(c)).equals(obj), name);
                }
            }
            (ran ? exercised : missing).add(label);
        }
    }

    private void errorVariants(List<String> source, List<String> exercised, List<String> missing) {
        for (String line : source) {
            Matcher m = ERROR_CLASS.matcher(line);
            if (m.find()) {
                errorVariants(source, m.group(1), exercised, missing);
            }
        }
    }

    /**
     * The variants of one error class, from the branches of its converter's read(); each is
     * exercised when that branch or its branch in write() ran. The branch body is on the line of
     * `N -> Err.Variant(` in read(), and on the line after `is Err.Variant -> {` in write() (the
     * `is` line itself runs its instanceof for every value written).
     */
    private void errorVariants(List<String> source, String error, List<String> exercised, List<String> missing) {
        // The converter is named after the Rust type (GridlineError), the class renamed to
        // Kotlin's convention (GridlineException): find it by what it converts.
        int converter = indexOf(source, 0, ": FfiConverterRustBuffer<" + error + "> {");
        int read = indexOf(source, converter, "override fun read(");
        int write = indexOf(source, converter, "override fun write(");
        if (converter < 0 || read < 0 || write < 0) {
            missing.add("error " + error + ": its converter was not found in the bindings");
            return;
        }
        Pattern readBranch = Pattern.compile("^\\s*\\d+ -> " + error + "\\.(\\w+)\\(");
        for (int i = read + 1; i < source.size() && !source.get(i).contains("override fun "); i++) {
            Matcher m = readBranch.matcher(source.get(i));
            if (!m.find()) {
                continue;
            }
            String variant = m.group(1);
            int writeBranch = indexOf(source, write, "is " + error + "." + variant + " -> {");
            // Lines are 1-based in class files, list indices 0-based: index i is line i + 1, and
            // the line after writeBranch is writeBranch + 2.
            boolean lifted = coveredLines.contains(i + 1);
            boolean lowered = writeBranch >= 0 && coveredLines.contains(writeBranch + 2);
            (lifted || lowered ? exercised : missing).add("error " + error + "." + variant);
        }
    }

    private boolean ran(java.util.function.Predicate<IClassCoverage> inClass, String method) {
        for (IClassCoverage c : classes) {
            if (!inClass.test(c)) {
                continue;
            }
            for (IMethodCoverage mc : c.getMethods()) {
                // Kotlin mangles a function taking or returning an inline class (ULong,
                // UInt, ...): `cellCount` compiles to `cellCount-s-VKNKU`.
                boolean named = mc.getName().equals(method) || mc.getName().startsWith(method + "-");
                if (named && covered(mc)) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean ranConstructor(String obj) {
        for (IClassCoverage c : classes) {
            if (!lower(simpleName(c)).equals(obj)) {
                continue;
            }
            for (IMethodCoverage mc : c.getMethods()) {
                boolean rustConstructor = mc.getName().equals("<init>")
                        && !mc.getDesc().contains("NoHandle;")
                        && !mc.getDesc().contains("DefaultConstructorMarker;");
                if (rustConstructor && covered(mc)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean covered(IMethodCoverage mc) {
        return mc.getMethodCounter().getCoveredCount() > 0;
    }

    private static int indexOf(List<String> source, int from, String text) {
        if (from < 0) {
            return -1;
        }
        for (int i = from; i < source.size(); i++) {
            if (source.get(i).contains(text)) {
                return i;
            }
        }
        return -1;
    }

    private static String simpleName(IClassCoverage c) {
        String name = c.getName();
        return name.substring(name.lastIndexOf('/') + 1);
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** UniFFI's Kotlin name for a Rust snake_case name: `sign_in_with_code` is `signInWithCode`. */
    private static String lowerCamel(String snake) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char ch : snake.toCharArray()) {
            if (ch == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(ch) : ch);
                upper = false;
            }
        }
        return out.toString();
    }
}
