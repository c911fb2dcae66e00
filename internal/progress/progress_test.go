package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPlainLinesWithRateAndETA(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "train epoch 1/2", 1000, "img")
	clock := b.start
	b.now = func() time.Time { return clock }
	clock = clock.Add(11 * time.Second)
	b.Add(500, "loss 0.50")
	clock = clock.Add(1 * time.Second) // within the interval: no line
	b.Add(100, "loss 0.40")
	clock = clock.Add(9 * time.Second)
	b.Finish("acc 0.91")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 plain lines (one progress, one final), got %q", buf.String())
	}
	if !strings.Contains(lines[0], "500/1000 45 img/s ETA 11.0s loss 0.50") {
		t.Fatalf("progress line %q lacks count, rate, ETA or status", lines[0])
	}
	if !strings.Contains(lines[1], "600/1000") || !strings.Contains(lines[1], "in 21.0s acc 0.91") {
		t.Fatalf("final line %q", lines[1])
	}
	if strings.Contains(buf.String(), "\r") {
		t.Fatal("plain output must not redraw with carriage returns")
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		4200 * time.Millisecond: "4.2s",
		123 * time.Second:       "2m03s",
		3723 * time.Second:      "1h02m03s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

// A line drawn the instant the bar starts (a first batch that was ready
// before it) must not claim an absurd rate.
func TestNoRateBeforeAnyTimePassed(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "ig", 6400, "rows")
	clock := b.start
	b.now = func() time.Time { return clock }
	clock = clock.Add(time.Microsecond)
	b.Add(128, "")
	if line := strings.TrimSpace(buf.String()); line != "ig: 128/6400 ? rows/s ETA ?" {
		t.Fatalf("first line %q, want no rate and no ETA", line)
	}
}
