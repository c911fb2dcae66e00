package saliency

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// fixtures are computed by numpy and PyTorch (testdata/make_fixtures.py).
type fixtures struct {
	Bilinear []struct {
		IH, IW, OH, OW int
		In, Out        []float64
	}
	Blur []struct {
		C, H, W int
		Sigma   float64
		In, Out []float64
	}
	Percentile []struct {
		Values, P, Want []float64
	}
	Legendre []struct {
		N               int
		Alphas, Weights []float64
	}
}

func loadFixtures(t *testing.T) fixtures {
	t.Helper()
	b, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestUpsampleBilinearMatchesPyTorch(t *testing.T) {
	f := loadFixtures(t)
	for _, c := range f.Bilinear {
		got := make([]float32, c.OH*c.OW)
		upsampleBilinear(got, c.In, c.IH, c.IW, c.OH, c.OW)
		closeTo(t, "bilinear", got, c.Out, 1e-6)
	}
}

func TestGaussianBlurMatchesTorchvision(t *testing.T) {
	f := loadFixtures(t)
	for _, c := range f.Blur {
		in := make([]float32, len(c.In))
		for i, v := range c.In {
			in[i] = float32(v)
		}
		got := make([]float32, len(in))
		gaussianBlur(got, in, c.C, c.H, c.W, c.Sigma)
		closeTo(t, "blur", got, c.Out, 1e-6)
	}
}

func TestReflectMirrorsAsOftenAsNeeded(t *testing.T) {
	// n = 4: ... 2 1 | 0 1 2 3 | 2 1 0 1 2 3 ...
	want := map[int]int{-3: 3, -2: 2, -1: 1, 0: 0, 3: 3, 4: 2, 5: 1, 6: 0, 7: 1, 9: 3, 10: 2}
	for i, w := range want {
		if got := reflect(i, 4); got != w {
			t.Errorf("reflect(%d, 4) = %d, want %d", i, got, w)
		}
	}
	if reflect(-5, 1) != 0 || reflect(3, 1) != 0 {
		t.Error("a one-pixel axis must map everything to 0")
	}
	// A kernel wider than the image (torchvision refuses it) still blurs
	// a constant image into itself.
	src := make([]float32, 2*3*3)
	for i := range src {
		src[i] = 0.25
	}
	dst := make([]float32, len(src))
	gaussianBlur(dst, src, 2, 3, 3, 5)
	for _, v := range dst {
		if !(math.Abs(float64(v)-0.25) <= 1e-6) {
			t.Fatalf("blur of a constant image: %v", dst)
		}
	}
}

func TestPercentileMatchesNumpy(t *testing.T) {
	f := loadFixtures(t)
	for _, c := range f.Percentile {
		v := make([]float32, len(c.Values))
		for i, x := range c.Values {
			v[i] = float32(x)
		}
		for k, p := range c.P {
			if got := Percentile(v, p); !(math.Abs(got-c.Want[k]) <= 1e-7*(1+math.Abs(c.Want[k]))) {
				t.Errorf("percentile %g of %d values = %g, want %g", p, len(v), got, c.Want[k])
			}
		}
	}
	if Percentile(nil, 99) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

func TestRulePoints(t *testing.T) {
	f := loadFixtures(t)
	for _, c := range f.Legendre {
		a, w, err := GaussLegendre.Points(c.N)
		if err != nil {
			t.Fatal(err)
		}
		for k := range a {
			if !(math.Abs(a[k]-c.Alphas[k]) <= 1e-13) || !(math.Abs(w[k]-c.Weights[k]) <= 1e-13) {
				t.Fatalf("n=%d point %d: (%g, %g), numpy (%g, %g)", c.N, k, a[k], w[k], c.Alphas[k], c.Weights[k])
			}
		}
	}
	// Every rule's weights sum to 1; each integrates the polynomials it
	// should exactly: Gauss-Legendre degree 2n-1, midpoint and trapezoid
	// degree 1; left and right constants.
	exact := map[Rule]int{GaussLegendre: 2*7 - 1, RiemannMiddle: 1, RiemannTrapezoid: 1, RiemannLeft: 0, RiemannRight: 0}
	for rule, deg := range exact {
		a, w, err := rule.Points(7)
		if err != nil {
			t.Fatal(err)
		}
		for d := 0; d <= deg; d++ {
			var s float64
			for k := range a {
				s += w[k] * math.Pow(a[k], float64(d))
			}
			if want := 1 / float64(d+1); !(math.Abs(s-want) <= 1e-12) {
				t.Errorf("%v: integral of x^%d = %g, want %g", rule, d, s, want)
			}
		}
		if deg < 2*7-1 {
			var s float64
			for k := range a {
				s += w[k] * math.Pow(a[k], float64(deg+1))
			}
			if math.Abs(s-1/float64(deg+2)) < 1e-12 {
				t.Errorf("%v integrates x^%d exactly: the test's degrees are wrong", rule, deg+1)
			}
		}
	}
	a, _, _ := RiemannRight.Points(4)
	b, _, _ := RiemannLeft.Points(4)
	if a[0] != 0.25 || a[3] != 1 || b[0] != 0 || b[3] != 0.75 {
		t.Errorf("right %v, left %v", a, b)
	}
	if _, _, err := Rule(9).Points(4); err == nil {
		t.Error("an unknown rule gave points")
	}
}

func TestAUC(t *testing.T) {
	cases := []struct {
		y    []float64
		want float64
	}{
		{[]float64{1, 1}, 1},
		{[]float64{1, 0}, 0.5},
		{[]float64{0, 1, 0}, 0.5},
		{[]float64{1, 0.5, 0.5, 0}, (0.75 + 0.5 + 0.25) / 3},
	}
	for _, c := range cases {
		if got := AUC(c.y); !(math.Abs(got-c.want) <= 1e-15) {
			t.Errorf("AUC(%v) = %g, want %g", c.y, got, c.want)
		}
	}
	if !math.IsNaN(AUC([]float64{1})) {
		t.Error("AUC of one point is not NaN")
	}
}
