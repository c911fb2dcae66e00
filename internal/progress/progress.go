// Package progress reports long work: on a terminal a one-line bar redrawn
// in place with the rate and the time left; elsewhere (logs, CI, pipes)
// plain lines at most every few seconds, so logs stay readable.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Bar reports the progress of one stage of known size.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	label    string
	unit     string
	total    int
	done     int
	start    time.Time
	last     time.Time
	interval time.Duration
	extra    string
	finished bool
	now      func() time.Time
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// New starts a bar for total units (e.g. "img") of work labelled label,
// writing to w (nil: standard error). On a terminal it redraws at most 10
// times a second; otherwise it writes a line at most every 10 seconds.
func New(w io.Writer, label string, total int, unit string) *Bar {
	if w == nil {
		w = os.Stderr
	}
	b := &Bar{w: w, tty: IsTerminal(w), label: label, unit: unit, total: total, now: time.Now}
	b.start = b.now()
	b.interval = 10 * time.Second
	if b.tty {
		b.interval = 100 * time.Millisecond
	}
	return b
}

// Add records n more units done and extra, a short status such as
// "loss 0.42", shown after the rate.
func (b *Bar) Add(n int, extra string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	b.extra = extra
	if t := b.now(); t.Sub(b.last) >= b.interval {
		b.last = t
		b.draw(false)
	}
}

// Finish draws the final state and ends the line.
func (b *Bar) Finish(extra string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.finished = true
	if extra != "" {
		b.extra = extra
	}
	b.draw(true)
}

// Elapsed is the time since the bar started.
func (b *Bar) Elapsed() time.Duration { return b.now().Sub(b.start) }

// minRateSeconds is the least elapsed time for which a running bar shows a
// rate and an ETA.
const minRateSeconds = 0.1

func (b *Bar) draw(final bool) {
	el := b.now().Sub(b.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(b.done) / el
	}
	eta := "?"
	if rate > 0 && b.total > 0 {
		eta = Duration(time.Duration(float64(b.total-b.done) / rate * float64(time.Second)))
	}
	rateText := fmt.Sprintf("%.0f", rate)
	if !final && el < minRateSeconds {
		// Too early for a meaningful rate (a first batch that was ready
		// when the bar started would show millions per second).
		rateText, eta = "?", "?"
	}
	status := fmt.Sprintf("%d/%d %s %s/s", b.done, b.total, rateText, b.unit)
	if final {
		status += " in " + Duration(b.now().Sub(b.start))
	} else {
		status += " ETA " + eta
	}
	if b.extra != "" {
		status += " " + b.extra
	}
	if !b.tty {
		fmt.Fprintf(b.w, "%s: %s\n", b.label, status)
		return
	}
	const width = 24
	filled := 0
	if b.total > 0 {
		filled = min(width, width*b.done/b.total)
	}
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(b.w, "\r\033[K%s [%s] %s%s", b.label, bar, status, end)
}

// Duration formats d as 1h02m03s, 2m03s or 4.2s.
func Duration(d time.Duration) string {
	s := d.Seconds()
	switch {
	case s < 60:
		return fmt.Sprintf("%.1fs", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", int(s)/60, int(s)%60)
	default:
		return fmt.Sprintf("%dh%02dm%02ds", int(s)/3600, int(s)/60%60, int(s)%60)
	}
}
