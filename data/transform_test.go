package data

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// ramp is the deterministic test input also built by testdata/make_fixtures.py.
func ramp(c, h, w int) Image {
	m := Image{C: c, H: h, W: w, Pix: make([]float32, c*h*w)}
	for i := range m.Pix {
		m.Pix[i] = float32(math.Sin(0.37*float64(i))*0.5 + 0.5)
	}
	return m
}

func newImage(c, h, w int) Image { return Image{C: c, H: h, W: w, Pix: make([]float32, c*h*w)} }

func TestResizeMatchesPyTorch(t *testing.T) {
	b, err := os.ReadFile("testdata/resize_torch.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Method  string
		C, H, W int
		OH, OW  int
		Out     []float64
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 5 {
		t.Fatalf("only %d fixture cases", len(cases))
	}
	for _, tc := range cases {
		m := Bilinear
		if tc.Method == "area" {
			m = Area
		}
		src := ramp(tc.C, tc.H, tc.W)
		dst := newImage(tc.C, tc.OH, tc.OW)
		Resize{Height: tc.OH, Width: tc.OW, Method: m}.Apply(nil, src, dst, Image{}, Image{})
		for i, want := range tc.Out {
			if d := math.Abs(float64(dst.Pix[i]) - want); d > 1e-5 {
				t.Fatalf("%s %dx%d -> %dx%d: value %d = %v, PyTorch %v", tc.Method, tc.H, tc.W, tc.OH, tc.OW, i, dst.Pix[i], want)
			}
		}
	}
}

// areaReference integrates the piecewise-constant image over each output
// pixel's footprint in float64, in two dimensions at once.
func areaReference(src Image, oh, ow int) []float64 {
	out := make([]float64, src.C*oh*ow)
	sy, sx := float64(src.H)/float64(oh), float64(src.W)/float64(ow)
	overlap := func(a0, a1, b0, b1 float64) float64 { return math.Max(0, math.Min(a1, b1)-math.Max(a0, b0)) }
	for c := 0; c < src.C; c++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				var s float64
				for y := 0; y < src.H; y++ {
					for x := 0; x < src.W; x++ {
						a := overlap(float64(oy)*sy, float64(oy+1)*sy, float64(y), float64(y+1)) *
							overlap(float64(ox)*sx, float64(ox+1)*sx, float64(x), float64(x+1))
						s += a * float64(src.Pix[(c*src.H+y)*src.W+x])
					}
				}
				out[(c*oh+oy)*ow+ox] = s / (sy * sx)
			}
		}
	}
	return out
}

func TestResizeAreaNonIntegerFactors(t *testing.T) {
	src := ramp(3, 13, 11)
	for _, sz := range [][2]int{{5, 4}, {7, 9}, {13, 11}, {20, 3}, {1, 1}} {
		dst := newImage(3, sz[0], sz[1])
		Resize{Height: sz[0], Width: sz[1], Method: Area}.Apply(nil, src, dst, Image{}, Image{})
		want := areaReference(src, sz[0], sz[1])
		for i := range want {
			if d := math.Abs(float64(dst.Pix[i]) - want[i]); d > 1e-5 {
				t.Fatalf("area 13x11 -> %dx%d: value %d = %v, reference %v", sz[0], sz[1], i, dst.Pix[i], want[i])
			}
		}
	}
}

func TestResizeMaskStaysBinary(t *testing.T) {
	// A 2x2-block pattern shrunk by 2 with Area keeps its blocks exactly;
	// the mask, resampled the same way and thresholded, must equal it.
	src := newImage(1, 8, 8)
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			if (y/2+x/2)%3 == 0 {
				src.Pix[y*8+x] = 1
			}
		}
	}
	mask := Image{C: 1, H: 8, W: 8, Pix: append([]float32(nil), src.Pix...)}
	dst, dmask := newImage(1, 4, 4), newImage(1, 4, 4)
	Resize{Height: 4, Width: 4, Method: Area}.Apply(nil, src, dst, mask, dmask)
	for i := range dst.Pix {
		if dst.Pix[i] != dmask.Pix[i] || (dmask.Pix[i] != 0 && dmask.Pix[i] != 1) {
			t.Fatalf("pixel %d: image %v, mask %v", i, dst.Pix[i], dmask.Pix[i])
		}
	}
	// Bilinear enlargement blends, the mask must still be 0 or 1.
	big, bmask := newImage(1, 13, 13), newImage(1, 13, 13)
	Resize{Height: 13, Width: 13}.Apply(nil, src, big, mask, bmask)
	ones := 0
	for i, v := range bmask.Pix {
		if v != 0 && v != 1 {
			t.Fatalf("mask value %v at %d", v, i)
		}
		if v == 1 {
			ones++
			if big.Pix[i] < 0.5 {
				t.Fatalf("mask 1 where the image is %v < 0.5", big.Pix[i])
			}
		}
	}
	if ones == 0 {
		t.Fatal("enlarged mask is empty")
	}
}

func TestRandomCropIsAShiftOfThePaddedImage(t *testing.T) {
	src := newImage(2, 5, 6)
	for i := range src.Pix {
		src.Pix[i] = float32(i + 1) // every value distinct and non-zero
	}
	tr := RandomCrop{Height: 5, Width: 6, Padding: 2}
	seen := map[[2]int]bool{}
	for seed := uint64(0); seed < 400; seed++ {
		dst := newImage(2, 5, 6)
		tr.Apply(tensor.NewRNG(seed), src, dst, Image{}, Image{})
		// Find the shift from the first non-zero value, then check all.
		dy, dx, found := 0, 0, false
		for i, v := range dst.Pix[:30] {
			if v != 0 {
				k := int(v) - 1
				dy, dx = k/6-i/6, k%6-i%6
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("seed %d: crop is all padding", seed)
		}
		if dy < -2 || dy > 2 || dx < -2 || dx > 2 {
			t.Fatalf("seed %d: shift (%d, %d) exceeds the padding", seed, dy, dx)
		}
		seen[[2]int{dy, dx}] = true
		for c := 0; c < 2; c++ {
			for y := 0; y < 5; y++ {
				for x := 0; x < 6; x++ {
					var want float32
					if sy, sx := y+dy, x+dx; sy >= 0 && sy < 5 && sx >= 0 && sx < 6 {
						want = src.Pix[(c*5+sy)*6+sx]
					}
					if got := dst.Pix[(c*5+y)*6+x]; got != want {
						t.Fatalf("seed %d shift (%d,%d): (%d,%d,%d) = %v, want %v", seed, dy, dx, c, y, x, got, want)
					}
				}
			}
		}
	}
	if len(seen) != 25 {
		t.Fatalf("saw %d of the 25 possible shifts in 400 draws", len(seen))
	}
}

func TestHorizontalFlip(t *testing.T) {
	src := ramp(3, 4, 5)
	dst := newImage(3, 4, 5)
	HorizontalFlip{P: 1}.Apply(tensor.NewRNG(1), src, dst, Image{}, Image{})
	for c := 0; c < 3; c++ {
		for y := 0; y < 4; y++ {
			for x := 0; x < 5; x++ {
				if dst.Pix[(c*4+y)*5+x] != src.Pix[(c*4+y)*5+4-x] {
					t.Fatalf("flip wrong at (%d,%d,%d)", c, y, x)
				}
			}
		}
	}
	HorizontalFlip{P: 0}.Apply(tensor.NewRNG(1), src, dst, Image{}, Image{})
	for i := range src.Pix {
		if dst.Pix[i] != src.Pix[i] {
			t.Fatal("P=0 changed the image")
		}
	}
	flips := 0
	for seed := uint64(0); seed < 1000; seed++ {
		HorizontalFlip{P: 0.5}.Apply(tensor.NewRNG(seed), src, dst, Image{}, Image{})
		if dst.Pix[0] != src.Pix[0] {
			flips++
		}
	}
	if flips < 430 || flips > 570 {
		t.Fatalf("P=0.5 flipped %d of 1000", flips)
	}
}

func TestCenterCropFollowsTorchvisionRounding(t *testing.T) {
	for _, tc := range []struct{ h, w, ch, cw, oy, ox int }{
		{5, 5, 3, 3, 1, 1},
		{6, 6, 3, 3, 2, 2}, // (6-3)/2 = 1.5 rounds to even: 2
		{8, 7, 3, 2, 2, 2}, // 2.5 -> 2
		{4, 4, 4, 4, 0, 0},
	} {
		src := newImage(1, tc.h, tc.w)
		for i := range src.Pix {
			src.Pix[i] = float32(i)
		}
		dst := newImage(1, tc.ch, tc.cw)
		CenterCrop{Height: tc.ch, Width: tc.cw}.Apply(nil, src, dst, Image{}, Image{})
		if want := float32(tc.oy*tc.w + tc.ox); dst.Pix[0] != want {
			t.Errorf("center crop %dx%d of %dx%d starts at value %v, want %v", tc.ch, tc.cw, tc.h, tc.w, dst.Pix[0], want)
		}
	}
}

func TestTransformSizeErrors(t *testing.T) {
	for _, tr := range []Transform{
		RandomCrop{Height: 40, Width: 40, Padding: 2}, RandomCrop{Height: 0, Width: 4},
		CenterCrop{Height: 33, Width: 10}, Resize{Height: 0, Width: 3}, HorizontalFlip{P: 2},
		Resize{Height: 3, Width: 3, Method: ResizeMethod(7)},
	} {
		if _, _, err := tr.OutSize(32, 32); err == nil {
			t.Errorf("%v accepted a 32x32 input", tr)
		}
	}
}
