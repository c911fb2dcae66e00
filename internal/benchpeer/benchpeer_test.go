package benchpeer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSeries(t *testing.T) {
	s := Series{5, 1, 3, 2}
	if s.Median() != 2.5 || s.Min() != 1 || s.Max() != 5 {
		t.Fatalf("median/min/max of %v: %g %g %g", s, s.Median(), s.Min(), s.Max())
	}
	if (Series{4, 9, 1}).Median() != 4 {
		t.Fatal("odd median wrong")
	}
}

func TestAlternateOrderAndRatios(t *testing.T) {
	var calls []string
	i := 0.0
	cs, err := Alternate(3,
		func() (map[string]float64, error) {
			calls = append(calls, "ours")
			i++
			return map[string]float64{"train_img_s": 200 + i, "peak_rss_mb": 100, "only_ours": 1}, nil
		},
		func() (map[string]float64, error) {
			calls = append(calls, "peer")
			return map[string]float64{"train_img_s": 100, "peak_rss_mb": 200}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(calls, " ") != "ours peer ours peer ours peer" {
		t.Fatalf("sides must alternate, got %v", calls)
	}
	if len(cs) != 2 {
		t.Fatalf("want the 2 shared figures, got %+v", cs)
	}
	for _, c := range cs {
		switch c.Figure {
		case "train_img_s":
			if c.Ours != 202 || c.Ratio != 2.02 || !c.HigherBetter {
				t.Fatalf("rate comparison wrong: %+v", c)
			}
		case "peak_rss_mb":
			if c.Ratio != 2 || c.HigherBetter {
				t.Fatalf("memory comparison must be peer/ours: %+v", c)
			}
		}
	}
}

func TestRunScriptParsesJSONLines(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "peer.sh")
	os.WriteFile(script, []byte("echo warming up\necho '{\"peer\": \"x\", \"gflops\": 12.5, \"m\": 3}'\n"), 0o755)
	rows, err := RunScript(context.Background(), "/bin/sh", script, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0]["gflops"] != 12.5 || rows[0]["m"] != 3 {
		t.Fatalf("rows = %v", rows)
	}
	os.WriteFile(script, []byte("exit 3\n"), 0o755)
	if _, err := RunScript(context.Background(), "/bin/sh", script, nil, nil, nil); err == nil {
		t.Fatal("a failing peer must be an error")
	}
}
