package dev.anvil.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.anvil.Backends;
import dev.anvil.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScheduleTest {

    @Test
    void schedulesGiveTheirFormulas() {
        assertEquals(0.1, Schedule.step(3, 0.5).lr(2, 0.1), 1e-15);
        assertEquals(0.05, Schedule.step(3, 0.5).lr(3, 0.1), 1e-15);
        Schedule ms = Schedule.multiStep(new long[] {2, 5}, 0.1);
        assertEquals(1.0, ms.lr(1, 1), 1e-15);
        assertEquals(0.1, ms.lr(2, 1), 1e-15);
        assertEquals(0.01, ms.lr(7, 1), 1e-15);
        assertEquals(0.81, Schedule.exponential(0.9).lr(2, 1), 1e-15);
        Schedule cos = Schedule.cosine(10, 0);
        assertEquals(1.0, cos.lr(0, 1), 1e-15);
        assertEquals(0.5, cos.lr(5, 1), 1e-15);
        assertEquals(0.0, cos.lr(10, 1), 1e-15);
        assertEquals(0.0, cos.lr(20, 1), 1e-15);
        Schedule w = Schedule.warmup(4, Schedule.exponential(0.5));
        assertEquals(0.25, w.lr(0, 1), 1e-15);
        assertEquals(1.0, w.lr(3, 1), 1e-15);
        assertEquals(1.0, w.lr(4, 1), 1e-15);
        assertEquals(0.5, w.lr(5, 1), 1e-15);
    }

    @Test
    void parsesTheCommandLineForms() {
        assertEquals(0.05, Schedule.parse("step:3:0.5", 100).lr(3, 0.1), 1e-15);
        assertEquals(0.01, Schedule.parse("multistep:2,5:0.1", 100).lr(6, 1), 1e-15);
        assertEquals(0.5, Schedule.parse("cosine", 10).lr(5, 1), 1e-15);
        assertEquals(0.5, Schedule.parse("warmup:2+step:1:0.5", 10).lr(3, 1), 1e-15);
        var e = assertThrows(IllegalArgumentException.class, () -> Schedule.parse("step:x", 10));
        assertEquals(true, e.getMessage().contains("step:EVERY:GAMMA"));
        assertThrows(IllegalArgumentException.class, () -> Schedule.parse("linear", 10));
    }

    @Test
    void schedulerDrivesTheOptimizerAndPlateauReduces() {
        try (var u = Backends.use("reference")) {
            Tensor p = Tensor.zeros(1).requiresGrad(true);
            Sgd opt = new Sgd(List.of(p), 1.0);
            LrScheduler s = new LrScheduler(opt, Schedule.step(1, 0.5));
            assertEquals(1.0, opt.lr());
            s.step();
            s.step();
            assertEquals(0.25, opt.lr(), 1e-15);
            ReduceLrOnPlateau plateau = new ReduceLrOnPlateau(opt, 1, 0.1);
            plateau.step(1.0);
            plateau.step(1.0);
            assertEquals(0.25, opt.lr(), 1e-15);
            plateau.step(1.0);
            assertEquals(0.025, opt.lr(), 1e-15);
            plateau.step(0.5);
            assertEquals(0.025, opt.lr(), 1e-15);
        }
    }
}
