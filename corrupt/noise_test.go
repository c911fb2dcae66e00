package corrupt

import (
	"math"
	"math/rand/v2"
	"testing"
)

func gray(n int, v float32) []float32 {
	img := make([]float32, n)
	for i := range img {
		img[i] = v
	}
	return img
}

func TestNoiseStatistics(t *testing.T) {
	const c, h, w = 3, 64, 64
	n := c * h * w
	for _, s := range []int{1, 3, 5} {
		// Additive noises on mid-grey (no clipping at these levels except
		// uniform at 5, which the bound check tolerates).
		g, _ := Get("gaussian")
		img := gray(n, 0.5)
		g.Apply(img, c, h, w, s, rand.New(rand.NewPCG(1, 2)))
		mean, sd := moments(img)
		// Clipping to [0,1] shrinks the spread once sigma nears 0.5/2.
		if want := g.Levels[s-1]; want < 0.2 && (math.Abs(mean-0.5) > 0.01 || math.Abs(sd-want)/want > 0.1) {
			t.Errorf("gaussian severity %d: mean %.3f sd %.3f, want 0.5, about %.3f (clipping aside)", s, mean, sd, want)
		}
		u, _ := Get("uniform")
		img = gray(n, 0.5)
		u.Apply(img, c, h, w, s, rand.New(rand.NewPCG(1, 2)))
		width := u.Levels[s-1]
		_, sd = moments(img)
		if width <= 0.5 && math.Abs(sd-width/math.Sqrt(3))/(width/math.Sqrt(3)) > 0.05 {
			t.Errorf("uniform severity %d: sd %.3f, want %.3f", s, sd, width/math.Sqrt(3))
		}
		for _, v := range img {
			if v < 0 || v > 1 {
				t.Fatalf("uniform severity %d: %g outside [0,1]", s, v)
			}
		}
		// Salt and pepper: the replaced fraction of pixels, all channels alike.
		sp, _ := Get("salt-pepper")
		img = gray(n, 0.5)
		sp.Apply(img, c, h, w, s, rand.New(rand.NewPCG(3, 4)))
		replaced, salt := 0, 0
		for p := 0; p < h*w; p++ {
			if img[p] != 0.5 {
				replaced++
				if img[p] == 1 {
					salt++
				}
				if img[h*w+p] != img[p] || img[2*h*w+p] != img[p] {
					t.Fatalf("salt-pepper must set all channels of pixel %d alike", p)
				}
			}
		}
		frac := float64(replaced) / float64(h*w)
		if want := sp.Levels[s-1]; math.Abs(frac-want) > 0.25*want {
			t.Errorf("salt-pepper severity %d: replaced %.3f of pixels, want %.3f", s, frac, want)
		}
		if replaced > 0 && math.Abs(float64(salt)/float64(replaced)-0.5) > 0.1 {
			t.Errorf("salt-pepper severity %d: %d salt of %d replaced, want about half", s, salt, replaced)
		}
	}
}

func TestShotNoiseIsPoisson(t *testing.T) {
	// Shot noise at intensity x has mean x and variance x/lambda.
	sh, _ := Get("shot")
	img := gray(3*64*64, 0.4)
	sh.Apply(img, 3, 64, 64, 3, rand.New(rand.NewPCG(9, 9)))
	mean, sd := moments(img)
	lambda := sh.Levels[2]
	if math.Abs(mean-0.4) > 0.01 || math.Abs(sd-math.Sqrt(0.4/lambda)) > 0.02 {
		t.Fatalf("shot: mean %.3f sd %.3f, want 0.4 and %.3f", mean, sd, math.Sqrt(0.4/lambda))
	}
}

func TestSeverityGrowsAndSeedRepeats(t *testing.T) {
	for _, name := range Names() {
		cr, _ := Get(name)
		prev := -1.0
		for s := 1; s <= 5; s++ {
			img := gray(3*32*32, 0.5)
			cr.Apply(img, 3, 32, 32, s, rand.New(rand.NewPCG(5, 6)))
			again := gray(3*32*32, 0.5)
			cr.Apply(again, 3, 32, 32, s, rand.New(rand.NewPCG(5, 6)))
			dev := 0.0
			for i, v := range img {
				if again[i] != v {
					t.Fatalf("%s severity %d: same seed, different images", name, s)
				}
				dev += math.Abs(float64(v) - 0.5)
			}
			if dev <= prev {
				t.Errorf("%s: severity %d does not corrupt more than %d (%.1f <= %.1f)", name, s, s-1, dev, prev)
			}
			prev = dev
		}
	}
}

func TestUnknownAndSeverityErrors(t *testing.T) {
	if _, err := Get("fog-of-war"); err == nil {
		t.Fatal("unknown corruption must be an error")
	}
	if CheckSeverity(0) == nil || CheckSeverity(6) == nil || CheckSeverity(3) != nil {
		t.Fatal("CheckSeverity bounds wrong")
	}
}

func moments(x []float32) (mean, sd float64) {
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	for _, v := range x {
		d := float64(v) - mean
		sd += d * d
	}
	return mean, math.Sqrt(sd / float64(len(x)))
}
