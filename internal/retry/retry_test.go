package retry

import (
	"slices"
	"testing"
	"time"
)

func waits(b BackOff, n int) []time.Duration {
	var out []time.Duration
	for range n {
		out = append(out, b.NextBackOff())
	}
	return out
}

func TestExponentialDoublesToItsCeilingAndResets(t *testing.T) {
	s := time.Second
	b := Exponential(s, time.Minute)
	want := []time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 60 * s, 60 * s}
	if got := waits(b, len(want)); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	b.Reset()
	if d := b.NextBackOff(); d != s {
		t.Errorf("after reset %v, want 1s", d)
	}
	// A ceiling that is not a power of two of the start is reached exactly, never passed.
	if got, want := waits(Exponential(time.Minute, 15*time.Minute), 6),
		[]time.Duration{60 * s, 120 * s, 240 * s, 480 * s, 900 * s, 900 * s}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestLinearStepsToItsCeiling(t *testing.T) {
	ms := time.Millisecond
	b := Linear(250*ms, 900*ms)
	if got, want := waits(b, 5), []time.Duration{250 * ms, 500 * ms, 750 * ms, 900 * ms, 900 * ms}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	b.Reset()
	if d := b.NextBackOff(); d != 250*ms {
		t.Errorf("after reset %v", d)
	}
}

func TestJitterStaysBetweenHalfAndAllOfTheStep(t *testing.T) {
	b := Jittered(100*time.Millisecond, time.Second)
	steps := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, step := range steps {
		step *= time.Millisecond
		if d := b.NextBackOff(); d < step/2 || d > step {
			t.Errorf("wait %d: %v, want within [%v, %v]", i+1, d, step/2, step)
		}
	}
	for n, step := range map[int]time.Duration{1: 200, 2: 400, 3: 800, 4: 1000, 10: 1000} {
		step *= time.Millisecond
		if d := Attempt(200*time.Millisecond, time.Second, n); d < step/2 || d > step {
			t.Errorf("attempt %d: %v, want within [%v, %v]", n, d, step/2, step)
		}
	}
}
