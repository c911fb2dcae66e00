package saliency

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// square8 is an 8x8 mask with a 4x4 object at rows and columns 2..5: with
// d = 1 its band is the 12-pixel ring, its interior the 2x2 centre.
func square8() []float32 {
	m := make([]float32, 64)
	for y := 2; y < 6; y++ {
		for x := 2; x < 6; x++ {
			m[y*8+x] = 1
		}
	}
	return m
}

func TestMaskMetricsAreExactOnHandMadeMaps(t *testing.T) {
	maps := tensor.New(4, 8, 8)
	// Image 0: 3 on the interior (3,3), -2 on the band (2,2) (magnitude
	// counts), 5 on the far background (0,0), 1 on the outer band (1,3):
	// total 11.
	m0 := maps.Index(0).Data()
	m0[3*8+3], m0[2*8+2], m0[0], m0[1*8+3] = 3, -2, 5, 1
	// Image 1: the maximum 4 twice, once on the object (4,4), once off
	// (7,7): the pointing game scores half.
	m1 := maps.Index(1).Data()
	m1[4*8+4], m1[7*8+7], m1[5*8+2] = 4, 4, 1
	// Image 2: everything on the band.
	m2 := maps.Index(2).Data()
	for y := 2; y < 6; y++ {
		for x := 2; x < 6; x++ {
			if y == 2 || y == 5 || x == 2 || x == 5 {
				m2[y*8+x] = 0.5
			}
		}
	}
	// Image 3 is all zero.
	masks := tensor.New(4, 1, 8, 8)
	for i := 0; i < 4; i++ {
		copy(masks.Index(i).Data(), square8())
	}
	got, err := MaskMetrics(maps, masks, MaskOptions{BandWidth: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []MaskScore{
		{Object: 5.0 / 11, Background: 6.0 / 11, Band: 2.0 / 11, Interior: 3.0 / 11, OuterBand: 1.0 / 11, Pointing: 0},
		{Object: 5.0 / 9, Background: 4.0 / 9, Band: 1.0 / 9, Interior: 4.0 / 9, OuterBand: 0, Pointing: 0.5},
		{Object: 1, Background: 0, Band: 1, Interior: 0, Pointing: 1},
	}
	for i, w := range want {
		// The outer band is the 6x6 square around the object less the
		// object: 20 pixels.
		w.ObjectArea, w.BandArea, w.OuterBandArea = 16.0/64, 12.0/64, 20.0/64
		g := got[i]
		for _, f := range []struct {
			name      string
			got, want float64
		}{{"object", g.Object, w.Object}, {"background", g.Background, w.Background}, {"band", g.Band, w.Band},
			{"interior", g.Interior, w.Interior}, {"outer band", g.OuterBand, w.OuterBand}, {"pointing", g.Pointing, w.Pointing},
			{"outer band area", g.OuterBandArea, w.OuterBandArea},
			{"object area", g.ObjectArea, w.ObjectArea}, {"band area", g.BandArea, w.BandArea}} {
			if math.Abs(f.got-f.want) > 1e-15 {
				t.Errorf("image %d: %s = %g, want %g", i, f.name, f.got, f.want)
			}
		}
	}
	z := got[3]
	if !math.IsNaN(z.Object) || !math.IsNaN(z.Pointing) || z.ObjectArea != 0.25 {
		t.Errorf("zero map: %+v", z)
	}
	s := SummarizeMask(got)
	if s.Object.N != 3 || s.Object.Skipped != 1 || math.Abs(s.Object.Mean-(5.0/11+5.0/9+1)/3) > 1e-15 || s.Pointing.Mean != 0.5 {
		t.Errorf("summary %+v", s)
	}
	// [N,H,W] masks work as [N,1,H,W] ones; the default band at 8x8 is 1.
	again, err := MaskMetrics(maps, masks.Reshape(4, 8, 8), MaskOptions{})
	if err != nil || again[0] != got[0] {
		t.Errorf("3-D masks: %+v, %v", again[0], err)
	}
}

func TestBoundaryBandIgnoresTheFrame(t *testing.T) {
	// The top half of an 8x8 image is object: only the row next to the
	// background is band, not the rows along the frame.
	obj := make([]bool, 64)
	for p := 0; p < 32; p++ {
		obj[p] = true
	}
	band := BoundaryBand(obj, 8, 8, 1)
	for p, b := range band {
		if want := p/8 == 3; b != want {
			t.Fatalf("pixel (%d,%d): band %v, want %v", p/8, p%8, b, want)
		}
	}
	// A mask covering the frame (texture-only images) has no band.
	for p := range obj {
		obj[p] = true
	}
	for _, b := range BoundaryBand(obj, 8, 8, 3) {
		if b {
			t.Fatal("a full mask has a band")
		}
	}
}

// TestBoundaryBandMatchesTheDefinition compares the running-count band with
// the definition checked pixel by pixel on random blobs.
func TestBoundaryBandMatchesTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 60; trial++ {
		h, w, d := 1+rng.IntN(20), 1+rng.IntN(20), 1+rng.IntN(4)
		obj := make([]bool, h*w)
		cy, cx, r := rng.Float64()*float64(h), rng.Float64()*float64(w), 1+rng.Float64()*8
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dy, dx := float64(y)-cy, float64(x)-cx
				obj[y*w+x] = dy*dy+dx*dx < r*r || rng.Float64() < 0.05
			}
		}
		got := BoundaryBand(obj, h, w, d)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				want := false
				for yy := max(0, y-d); yy <= min(h-1, y+d); yy++ {
					for xx := max(0, x-d); xx <= min(w-1, x+d); xx++ {
						if !obj[yy*w+xx] {
							want = true
						}
					}
				}
				want = want && obj[y*w+x]
				if got[y*w+x] != want {
					t.Fatalf("%dx%d d=%d: pixel (%d,%d) band %v, want %v", h, w, d, y, x, got[y*w+x], want)
				}
			}
		}
	}
}

func TestMaskMetricsErrors(t *testing.T) {
	maps := tensor.New(2, 8, 8)
	for _, c := range []struct {
		maps, masks *tensor.Tensor
		want        string
	}{
		{tensor.New(2, 1, 8, 8), tensor.New(2, 1, 8, 8), "needs maps [N H W]"},
		{maps, tensor.New(2, 1, 8, 7), "masks have shape [2 1 8 7]"},
		{maps, tensor.New(3, 1, 8, 8), "masks have shape"},
		{maps, tensor.New(2, 3, 8, 8), "masks have shape"},
		{maps, nil, "masks have shape nil"},
	} {
		if _, err := MaskMetrics(c.maps, c.masks, MaskOptions{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	if BandWidth(32, 32) != 2 || BandWidth(224, 224) != 14 || BandWidth(8, 100) != 1 {
		t.Error("default band widths")
	}
}

// TestMaskWithoutObjectMeasuresNothing: a mask with no object pixel (or
// no background pixel) cannot tell where a map's mass is; its shares are
// NaN, not the 0 (or 1) they would be by construction.
func TestMaskWithoutObjectMeasuresNothing(t *testing.T) {
	maps := tensor.FromSlice([]float32{1, 2, 3, 4, 1, 2, 3, 4}, 2, 2, 2)
	masks := tensor.FromSlice([]float32{0, 0, 0, 0, 1, 1, 1, 1}, 2, 1, 2, 2)
	s, err := MaskMetrics(maps, masks, MaskOptions{BandWidth: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, sc := range s {
		if !math.IsNaN(sc.Object) || !math.IsNaN(sc.Pointing) || !math.IsNaN(sc.Background) || !math.IsNaN(sc.Band) {
			t.Errorf("image %d (object area %v): scores %+v, want NaN", i, sc.ObjectArea, sc)
		}
	}
	if sum := SummarizeMask(s); sum.Object.N != 0 || sum.Object.Skipped != 2 {
		t.Errorf("summary %+v", sum.Object)
	}
}
