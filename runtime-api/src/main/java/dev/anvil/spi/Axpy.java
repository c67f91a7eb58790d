package dev.anvil.spi;

/**
 * Optional fused kernel {@code y += alpha * x} over two contiguous views of the same type and size (the
 * core of SGD and of gradient accumulation). A backend advertises it through
 * {@link Backend#kernel(Class)}; without it the API composes a multiply and an add.
 */
public interface Axpy {
    void axpy(double alpha, View x, View y);
}
