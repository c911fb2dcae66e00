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
		// Clipping to [0,1] shrinks the spread once sigma nears 0.5/2;
		// below 0.2 it moves sd by under 0.1%. Each moment within 5
		// standard errors of the n draws (a Gaussian's sample sd has a
		// relative standard error of 1/sqrt(2n)).
		if want := g.Levels[s-1]; want < 0.2 && (!(math.Abs(mean-0.5) <= 5*want/math.Sqrt(float64(n))) || math.Abs(sd-want)/want > 5/math.Sqrt(2*float64(n))+1e-3) {
			t.Errorf("gaussian severity %d: mean %.4f sd %.4f, want 0.5 and %.4f", s, mean, sd, want)
		}
		u, _ := Get("uniform")
		img = gray(n, 0.5)
		u.Apply(img, c, h, w, s, rand.New(rand.NewPCG(1, 2)))
		width := u.Levels[s-1]
		_, sd = moments(img)
		// A uniform's sample sd: relative standard error sqrt(0.8/n)/2.
		if width <= 0.5 && math.Abs(sd-width/math.Sqrt(3))/(width/math.Sqrt(3)) > 5*math.Sqrt(0.8/float64(n))/2 {
			t.Errorf("uniform severity %d: sd %.4f, want %.4f", s, sd, width/math.Sqrt(3))
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
		if want := sp.Levels[s-1]; !(math.Abs(frac-want) <= 0.25*want) {
			t.Errorf("salt-pepper severity %d: replaced %.3f of pixels, want %.3f", s, frac, want)
		}
		if replaced > 0 && !(math.Abs(float64(salt)/float64(replaced)-0.5) <= 0.1) {
			t.Errorf("salt-pepper severity %d: %d salt of %d replaced, want about half", s, salt, replaced)
		}
	}
}

func TestShotNoiseIsPoisson(t *testing.T) {
	// Shot noise at intensity x is Poisson(lambda x) / lambda clipped to
	// [0,1]: the exact mean and sd below come from the Poisson
	// probabilities, and the sample's are held to 5 standard errors.
	sh, _ := Get("shot")
	const n, x = 3 * 64 * 64, 0.4
	for _, s := range []int{1, 3, 5} {
		img := gray(n, x)
		sh.Apply(img, 3, 64, 64, s, rand.New(rand.NewPCG(9, uint64(s))))
		mean, sd := moments(img)
		lambda := sh.Levels[s-1]
		var m1, m2, m4 float64
		p := math.Exp(-lambda * x) // P(k = 0)
		for k := 0; k < 1000; k++ {
			v := min(float64(k)/lambda, 1)
			m1 += p * v
			m2 += p * v * v
			p *= lambda * x / float64(k+1)
		}
		wantSD := math.Sqrt(m2 - m1*m1)
		p = math.Exp(-lambda * x)
		for k := 0; k < 1000; k++ {
			d := min(float64(k)/lambda, 1) - m1
			m4 += p * d * d * d * d
			p *= lambda * x / float64(k+1)
		}
		// The sample variance's standard error is sqrt((m4 - var^2)/n).
		seSD := math.Sqrt((m4-math.Pow(wantSD, 4))/n) / (2 * wantSD)
		if !(math.Abs(mean-m1) <= 5*wantSD/math.Sqrt(n)) || !(math.Abs(sd-wantSD) <= 5*seSD) {
			t.Errorf("shot severity %d: mean %.4f sd %.4f, want %.4f and %.4f", s, mean, sd, m1, wantSD)
		}
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
