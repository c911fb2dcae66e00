package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Image is one float32 image, channels first (C x H x W), values in [0, 1]:
// the unit that transforms and grids work on. A mask is an Image with C = 1.
type Image struct {
	C, H, W int
	Pix     []float32
}

// row returns channel c's row y (W values).
func (m Image) row(c, y int) []float32 {
	o := (c*m.H + y) * m.W
	return m.Pix[o : o+m.W]
}

// Transform is one step of the loader's augmentation pipeline. Geometric
// transforms move the object mask with the image so that it keeps marking the
// object; the mask is resampled like the image and thresholded at 0.5 so it
// stays binary.
type Transform interface {
	// OutSize returns the output height and width for an h x w input, or an
	// error if the transform cannot take that size.
	OutSize(h, w int) (oh, ow int, err error)
	// Apply writes src, transformed, into dst (dst has src's channels and
	// OutSize's size). If srcMask.Pix is non-nil the same geometry is
	// applied to it and written to dstMask. rng is the example's own
	// generator (seeded by seed, epoch and example index): a random
	// transform draws its parameters from it, once per call.
	Apply(rng *rand.Rand, src, dst, srcMask, dstMask Image)
	// String names the transform and its parameters.
	String() string
}

// RandomCrop pads the image by Padding zeros on every side and crops a
// Height x Width window at a uniformly random position, like torchvision's
// RandomCrop(size, padding) with fill 0.
type RandomCrop struct {
	Height, Width, Padding int
}

// OutSize implements Transform.
func (t RandomCrop) OutSize(h, w int) (int, int, error) {
	if t.Height <= 0 || t.Width <= 0 || t.Padding < 0 {
		return 0, 0, fmt.Errorf("%v: size must be positive and padding non-negative", t)
	}
	if t.Height > h+2*t.Padding || t.Width > w+2*t.Padding {
		return 0, 0, fmt.Errorf("%v: crop is larger than the padded %dx%d image", t, h+2*t.Padding, w+2*t.Padding)
	}
	return t.Height, t.Width, nil
}

// Apply implements Transform.
func (t RandomCrop) Apply(rng *rand.Rand, src, dst, srcMask, dstMask Image) {
	// Offsets of the window's top-left corner in the padded image.
	oy := rng.IntN(src.H + 2*t.Padding - t.Height + 1)
	ox := rng.IntN(src.W + 2*t.Padding - t.Width + 1)
	shift(src, dst, oy-t.Padding, ox-t.Padding)
	if srcMask.Pix != nil {
		shift(srcMask, dstMask, oy-t.Padding, ox-t.Padding)
	}
}

// String implements Transform.
func (t RandomCrop) String() string {
	return fmt.Sprintf("random-crop(%dx%d, pad %d)", t.Height, t.Width, t.Padding)
}

// shift copies src[y+dy][x+dx] into dst[y][x], zero where that is outside src.
func shift(src, dst Image, dy, dx int) {
	for c := 0; c < dst.C; c++ {
		for y := 0; y < dst.H; y++ {
			out := dst.row(c, y)
			sy := y + dy
			if sy < 0 || sy >= src.H {
				clear(out)
				continue
			}
			in := src.row(c, sy)
			for x := range out {
				sx := x + dx
				if sx < 0 || sx >= src.W {
					out[x] = 0
				} else {
					out[x] = in[sx]
				}
			}
		}
	}
}

// HorizontalFlip mirrors the image left to right with probability P.
type HorizontalFlip struct {
	P float64
}

// OutSize implements Transform.
func (t HorizontalFlip) OutSize(h, w int) (int, int, error) {
	if !(t.P >= 0 && t.P <= 1) {
		return 0, 0, fmt.Errorf("%v: probability must be in [0, 1]", t)
	}
	return h, w, nil
}

// Apply implements Transform.
func (t HorizontalFlip) Apply(rng *rand.Rand, src, dst, srcMask, dstMask Image) {
	// Always draw, so that the stream position does not depend on P.
	flip := rng.Float64() < t.P
	flipOrCopy(src, dst, flip)
	if srcMask.Pix != nil {
		flipOrCopy(srcMask, dstMask, flip)
	}
}

// String implements Transform.
func (t HorizontalFlip) String() string { return fmt.Sprintf("hflip(p=%g)", t.P) }

func flipOrCopy(src, dst Image, flip bool) {
	if !flip {
		copy(dst.Pix, src.Pix)
		return
	}
	for c := 0; c < src.C; c++ {
		for y := 0; y < src.H; y++ {
			in, out := src.row(c, y), dst.row(c, y)
			for x := range out {
				out[x] = in[len(in)-1-x]
			}
		}
	}
}

// CenterCrop cuts the central Height x Width window. As in torchvision, the
// top-left corner is at round((H-Height)/2), round((W-Width)/2) with halves
// rounded to even.
type CenterCrop struct {
	Height, Width int
}

// OutSize implements Transform.
func (t CenterCrop) OutSize(h, w int) (int, int, error) {
	if t.Height <= 0 || t.Width <= 0 || t.Height > h || t.Width > w {
		return 0, 0, fmt.Errorf("%v: cannot crop a %dx%d image", t, h, w)
	}
	return t.Height, t.Width, nil
}

// Apply implements Transform.
func (t CenterCrop) Apply(_ *rand.Rand, src, dst, srcMask, dstMask Image) {
	oy := int(math.RoundToEven(float64(src.H-t.Height) / 2))
	ox := int(math.RoundToEven(float64(src.W-t.Width) / 2))
	shift(src, dst, oy, ox)
	if srcMask.Pix != nil {
		shift(srcMask, dstMask, oy, ox)
	}
}

// String implements Transform.
func (t CenterCrop) String() string { return fmt.Sprintf("center-crop(%dx%d)", t.Height, t.Width) }

// ResizeMethod selects how Resize interpolates.
type ResizeMethod int

const (
	// Bilinear interpolates between the four nearest pixels, with pixel
	// centres aligned as in PyTorch's interpolate(mode="bilinear",
	// align_corners=False) (no anti-aliasing: use Area to shrink a lot).
	Bilinear ResizeMethod = iota
	// Area averages the input over each output pixel's footprint, weighting
	// every input pixel by the fraction of it that the footprint covers
	// (a box filter; equal to average pooling for integer factors).
	Area
)

// String names the method: "bilinear" or "area".
func (m ResizeMethod) String() string {
	if m == Area {
		return "area"
	}
	return "bilinear"
}

// Resize scales the image to Height x Width (the aspect ratio may change).
type Resize struct {
	Height, Width int
	Method        ResizeMethod
}

// OutSize implements Transform.
func (t Resize) OutSize(h, w int) (int, int, error) {
	if t.Height <= 0 || t.Width <= 0 {
		return 0, 0, fmt.Errorf("%v: size must be positive", t)
	}
	if t.Method != Bilinear && t.Method != Area {
		return 0, 0, fmt.Errorf("%v: unknown method %d", t, int(t.Method))
	}
	return t.Height, t.Width, nil
}

// Apply implements Transform.
func (t Resize) Apply(_ *rand.Rand, src, dst, srcMask, dstMask Image) {
	resize(src, dst, t.Method)
	if srcMask.Pix != nil {
		resize(srcMask, dstMask, t.Method)
		for i, v := range dstMask.Pix {
			if v >= 0.5 {
				dstMask.Pix[i] = 1
			} else {
				dstMask.Pix[i] = 0
			}
		}
	}
}

// String implements Transform.
func (t Resize) String() string {
	return fmt.Sprintf("resize(%dx%d, %v)", t.Height, t.Width, t.Method)
}

// taps are the input indices and weights that make one output coordinate.
type taps struct {
	start []int     // first input index of output i
	count []int     // number of inputs of output i
	w     []float32 // weights, count[i] per output, concatenated
	off   []int     // offset of output i's weights in w
}

// bilinearTaps follows PyTorch's area_pixel_compute_source_index for
// align_corners=False: src = max((dst+0.5)*in/out - 0.5, 0).
func bilinearTaps(in, out int) taps {
	t := taps{start: make([]int, out), count: make([]int, out), off: make([]int, out), w: make([]float32, 0, 2*out)}
	scale := float64(in) / float64(out)
	for i := 0; i < out; i++ {
		s := max((float64(i)+0.5)*scale-0.5, 0)
		i0 := int(s)
		l1 := float32(s - float64(i0))
		t.start[i], t.off[i] = i0, len(t.w)
		if i0 < in-1 {
			t.count[i] = 2
			t.w = append(t.w, 1-l1, l1)
		} else {
			t.count[i] = 1
			t.w = append(t.w, 1)
		}
	}
	return t
}

// areaTaps weights each input pixel [j, j+1) by its overlap with the output
// footprint [i*in/out, (i+1)*in/out), divided by the footprint's length.
func areaTaps(in, out int) taps {
	t := taps{start: make([]int, out), count: make([]int, out), off: make([]int, out)}
	scale := float64(in) / float64(out)
	for i := 0; i < out; i++ {
		lo, hi := float64(i)*scale, float64(i+1)*scale
		j0 := int(math.Floor(lo))
		j1 := min(int(math.Ceil(hi)), in)
		t.start[i], t.off[i], t.count[i] = j0, len(t.w), j1-j0
		for j := j0; j < j1; j++ {
			cover := math.Min(hi, float64(j+1)) - math.Max(lo, float64(j))
			t.w = append(t.w, float32(cover/scale))
		}
	}
	return t
}

// resize is separable: rows first into a temporary C x src.H x dst.W image,
// then columns.
func resize(src, dst Image, m ResizeMethod) {
	mk := bilinearTaps
	if m == Area {
		mk = areaTaps
	}
	tx, ty := mk(src.W, dst.W), mk(src.H, dst.H)
	tmp := make([]float32, src.C*src.H*dst.W)
	for c := 0; c < src.C; c++ {
		for y := 0; y < src.H; y++ {
			in := src.row(c, y)
			out := tmp[(c*src.H+y)*dst.W : (c*src.H+y+1)*dst.W]
			for x := range out {
				var s float32
				w := tx.w[tx.off[x] : tx.off[x]+tx.count[x]]
				for k, wk := range w {
					s += wk * in[tx.start[x]+k]
				}
				out[x] = s
			}
		}
		for y := 0; y < dst.H; y++ {
			out := dst.row(c, y)
			clear(out)
			w := ty.w[ty.off[y] : ty.off[y]+ty.count[y]]
			for k, wk := range w {
				in := tmp[(c*src.H+ty.start[y]+k)*dst.W : (c*src.H+ty.start[y]+k+1)*dst.W]
				for x := range out {
					out[x] += wk * in[x]
				}
			}
		}
	}
}
