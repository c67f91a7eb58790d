package dev.anvil.bench.report;

import dev.anvil.bench.Work;
import dev.anvil.bench.Workload;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Map;
import org.openjdk.jmh.annotations.Param;

/**
 * Finds the work of a JMH result from its benchmark class: a class implementing {@link Workload} is instantiated,
 * its {@code @Param} fields are set from the result's parameters (as JMH sets them), and {@link Workload#work} is
 * asked. A class that is not on the classpath, or does not declare its work, gives null: the report then shows
 * its time only.
 */
final class WorkResolver {
    private WorkResolver() {
    }

    /** The work of one call of {@code result}'s benchmark, or null when its class does not declare it. */
    static Work of(JmhResult result) {
        Class<?> cls;
        try {
            cls = Class.forName(result.className(), false, WorkResolver.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
        if (!Workload.class.isAssignableFrom(cls)) {
            return null;
        }
        Workload w;
        try {
            w = (Workload) cls.getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(cls.getName() + " implements Workload but has no public no-argument constructor", e);
        }
        for (Map.Entry<String, String> p : result.params().entrySet()) {
            set(w, cls, p.getKey(), p.getValue(), result);
        }
        try {
            return w.work(result.method());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("jmh[" + result.index() + "] " + result.benchmark() + " " + result.params()
                    + ": its work cannot be computed: " + e.getMessage(), e);
        }
    }

    private static void set(Object target, Class<?> cls, String name, String value, JmhResult result) {
        Field f;
        try {
            f = cls.getField(name);
        } catch (NoSuchFieldException e) {
            throw new IllegalArgumentException("jmh[" + result.index() + "] " + result.benchmark() + ": parameter '" + name
                    + "' is not a public field of " + cls.getName() + " (was the result made by another version?)");
        }
        if (!f.isAnnotationPresent(Param.class) || Modifier.isStatic(f.getModifiers())) {
            throw new IllegalArgumentException("jmh[" + result.index() + "] " + result.benchmark() + ": '" + name
                    + "' is not an @Param field of " + cls.getName());
        }
        try {
            Class<?> t = f.getType();
            Object v;
            if (t == String.class) {
                v = value;
            } else if (t == int.class || t == Integer.class) {
                v = Integer.parseInt(value.trim());
            } else if (t == long.class || t == Long.class) {
                v = Long.parseLong(value.trim());
            } else if (t == double.class || t == Double.class) {
                v = Double.parseDouble(value.trim());
            } else if (t == float.class || t == Float.class) {
                v = Float.parseFloat(value.trim());
            } else if (t == boolean.class || t == Boolean.class) {
                v = Boolean.parseBoolean(value.trim());
            } else if (t.isEnum()) {
                v = enumValue(t, value.trim());
            } else {
                throw new IllegalArgumentException("unsupported @Param type " + t.getName());
            }
            f.set(target, v);
        } catch (IllegalAccessException | RuntimeException e) {
            throw new IllegalArgumentException("jmh[" + result.index() + "] " + result.benchmark() + ": parameter " + name + "='"
                    + value + "' cannot be set: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumValue(Class<?> t, String value) {
        return Enum.valueOf((Class<? extends Enum>) t, value);
    }
}
