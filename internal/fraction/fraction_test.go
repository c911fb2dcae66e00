package fraction

import (
	"math"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]float64{"0.3": 0.3, "8/255": 8.0 / 255, " 2 / 255 ": 2.0 / 255, "0": 0, "1e-2": 0.01} {
		got, err := Parse(in)
		if err != nil || !(math.Abs(got-want) <= 1e-15) {
			t.Errorf("Parse(%q) = %g, %v; want %g", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "8/0", "8/", "/255", "0.5abc", "1/2/3"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) must fail", in)
		}
	}
	l, err := ParseList("0, 1/255,,4/255")
	if err != nil || len(l) != 3 || l[2] != 4.0/255 {
		t.Fatalf("ParseList = %v, %v", l, err)
	}
	if _, err := ParseList("1,x"); err == nil {
		t.Fatal("ParseList must reject a bad item")
	}
}
