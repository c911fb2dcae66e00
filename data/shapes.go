package data

import (
	"fmt"
	"math"
	"strings"
)

// The shapes set is robustlab's built-in data: each image is one of ten
// shapes, filled with one of ten periodic textures in two colours, on a
// background that carries no label information, with its object mask. It
// follows the idea of the Trifeature set (Hermann & Lampinen, "What shapes
// feature representations? Exploring datasets, architectures, and training",
// NeurIPS 2020): every cue of every image is known, so texture bias, shape
// bias and where saliency falls can be measured exactly.
//
// Every image is a pure function of (seed, split, index): nothing is stored,
// and train and test come from different generator streams.

// ShapeNames are the shape classes, in label order; they are also the
// class names of every shapes split.
var ShapeNames = []string{"circle", "square", "triangle", "star", "cross", "heart", "hexagon", "crescent", "arrow", "ring"}

// TextureNames are the textures, in factor order; texture i is the "home"
// texture of shape class i.
var TextureNames = func() []string {
	n := make([]string, len(textureKinds))
	for i, k := range textureKinds {
		n[i] = k.name
	}
	return n
}()

// ColourNames are the palette colours the foreground colour pair is drawn
// from, in factor order.
var ColourNames = []string{"red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "white", "black"}

// Shapes splits.
const (
	// SplitTrain and SplitTest give shape i its home texture i with
	// probability P, else a uniformly random texture.
	SplitTrain = "train"
	SplitTest  = "test"
	// SplitRandomTexture draws the texture independently of the shape (the
	// analogue of Stylized-ImageNet: texture is no cue).
	SplitRandomTexture = "random-texture"
	// SplitCueConflict gives example k the shape and home texture of the
	// k-th ordered pair (i, j), i != j, of the 90 pairs, cycling: shape of
	// class i, texture of class j. The label is the shape.
	SplitCueConflict = "cue-conflict"
	// SplitSilhouette draws the shape in one flat colour, without texture.
	SplitSilhouette = "silhouette"
	// SplitTextureOnly fills the whole image with one home texture, no
	// shape; the label is the class whose home texture it is. The mask is
	// all ones: the texture, which covers the frame, is the evidence.
	SplitTextureOnly = "texture-only"
)

// ShapesSplits lists the splits in help order.
var ShapesSplits = []string{SplitTrain, SplitTest, SplitRandomTexture, SplitCueConflict, SplitSilhouette, SplitTextureOnly}

var shapesDefaultLen = map[string]int{
	SplitTrain: 50000, SplitTest: 10000, SplitRandomTexture: 2000,
	SplitCueConflict: 1800, SplitSilhouette: 2000, SplitTextureOnly: 2000,
}

// ShapesOptions configures a shapes set.
type ShapesOptions struct {
	// Split is one of ShapesSplits.
	Split string
	// Size is the image height and width in pixels (16 to 1024; 32 is the
	// default, 64 and 224 are the other usual ones).
	Size int
	// N is the number of examples; 0 means the split's default (train
	// 50,000, test 10,000, cue-conflict 1,800, others 2,000).
	N int
	// P is the probability that a train or test image has its class's home
	// texture (else a uniformly random one). The zero value means 1; use
	// PSet to ask for P = 0.
	P float64
	// PSet marks P as given, so that P = 0 is possible.
	PSet bool
	// Seed selects the whole set; default 0.
	Seed uint64
}

// Shapes is the procedural shapes data set. It is safe for concurrent use.
type Shapes struct {
	opt        ShapesOptions
	name       string
	streamSeed uint64
}

// Factor indices of a shapes example (Info.FactorNames).
const (
	FactorShape   = 0 // shape class, -1 in texture-only
	FactorTexture = 1 // texture, -1 in silhouette
	FactorColour  = 2 // palette index of the first foreground colour
)

// NewShapes returns a shapes set.
func NewShapes(opt ShapesOptions) (*Shapes, error) {
	def, ok := shapesDefaultLen[opt.Split]
	if !ok {
		return nil, fmt.Errorf("shapes: unknown split %q (known: %s)", opt.Split, strings.Join(ShapesSplits, ", "))
	}
	if opt.Size == 0 {
		opt.Size = 32
	}
	if opt.Size < 16 || opt.Size > 1024 {
		return nil, fmt.Errorf("shapes: size %d is outside [16, 1024]", opt.Size)
	}
	if opt.N == 0 {
		opt.N = def
	}
	if opt.N < 0 {
		return nil, fmt.Errorf("shapes: n=%d is negative", opt.N)
	}
	if !opt.PSet && opt.P == 0 {
		opt.P = 1
	}
	if !(opt.P >= 0 && opt.P <= 1) {
		return nil, fmt.Errorf("shapes: p=%g is not a probability in [0, 1]", opt.P)
	}
	name := fmt.Sprintf("shapes:%s?size=%d&n=%d&seed=%d", opt.Split, opt.Size, opt.N, opt.Seed)
	if opt.Split == SplitTrain || opt.Split == SplitTest {
		name += fmt.Sprintf("&p=%g", opt.P)
	}
	// Each split has its own stream; the name of the split, not its
	// position in a list, keys it, so adding splits never changes old ones.
	var h uint64
	for _, c := range []byte(opt.Split) {
		h = h*131 + uint64(c)
	}
	return &Shapes{opt: opt, name: name, streamSeed: mix(opt.Seed, h)}, nil
}

// Len implements Dataset.
func (s *Shapes) Len() int { return s.opt.N }

// Info implements Dataset.
func (s *Shapes) Info() Info {
	return Info{
		Name: s.name, Classes: append([]string(nil), ShapeNames...),
		Channels: 3, Height: s.opt.Size, Width: s.opt.Size, HasMask: true,
		FactorNames: []string{"shape", "texture", "colour"},
	}
}

// splitmix is SplitMix64 (Steele, Lea & Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014): a tiny generator that lives
// on the stack, so drawing an image's parameters allocates nothing.
type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *splitmix) float64() float64 { return float64(r.next()>>11) / (1 << 53) }
func (r *splitmix) float32() float32 { return float32(r.float64()) }
func (r *splitmix) intn(n int) int   { return int(r.next() % uint64(n)) }

// shapesScene is everything drawn for one image.
type shapesScene struct {
	shape, tex, colour int // -1 when absent
	cx, cy, radius     float32
	cos, sin           float32 // rotation of the shape
	texture            texture
	colA, colB         [3]float32
	bg0                [3]float32 // background colour at the top-left corner
	bgdx, bgdy         [3]float32 // background gradient per pixel
}

// palette is the foreground colours (sRGB in [0, 1]).
var palette = [10][3]float32{
	{0.85, 0.15, 0.15}, {0.95, 0.55, 0.10}, {0.95, 0.90, 0.20}, {0.20, 0.70, 0.25}, {0.20, 0.80, 0.85},
	{0.15, 0.25, 0.85}, {0.55, 0.20, 0.75}, {0.95, 0.50, 0.70}, {0.95, 0.95, 0.95}, {0.08, 0.08, 0.08},
}

func luma(c [3]float32) float32 { return 0.299*c[0] + 0.587*c[1] + 0.114*c[2] }

// scene draws image i's factors and parameters.
func (s *Shapes) scene(i int) shapesScene {
	r := splitmix{s: mix(s.streamSeed, uint64(i))}
	size := float32(s.opt.Size)
	sc := shapesScene{shape: -1, tex: -1}
	k := 10 // number of classes
	switch s.opt.Split {
	case SplitTrain, SplitTest:
		sc.shape = i % k
		sc.tex = sc.shape
		// Always draw both numbers so the rest of the stream does not
		// depend on P.
		u, t := r.float64(), r.intn(k)
		if u >= s.opt.P {
			sc.tex = t
		}
	case SplitRandomTexture:
		sc.shape, sc.tex = i%k, r.intn(k)
	case SplitCueConflict:
		pair := i % (k * (k - 1))
		sc.shape = pair / (k - 1)
		sc.tex = pair % (k - 1)
		if sc.tex >= sc.shape {
			sc.tex++
		}
	case SplitSilhouette:
		sc.shape = i % k
	case SplitTextureOnly:
		sc.tex = i % k
	}
	// Two palette colours that differ in luminance by at least 0.25, so the
	// texture shows in every channel mix, each jittered a little.
	sc.colour = r.intn(len(palette))
	var second int
	for {
		second = r.intn(len(palette))
		if second != sc.colour && abs32(luma(palette[second])-luma(palette[sc.colour])) >= 0.25 {
			break
		}
	}
	for c := 0; c < 3; c++ {
		sc.colA[c] = clamp01(palette[sc.colour][c] + 0.08*(r.float32()-0.5))
		sc.colB[c] = clamp01(palette[second][c] + 0.08*(r.float32()-0.5))
	}
	if sc.tex >= 0 {
		sc.texture = newTexture(sc.tex, s.opt.Size, &r)
	}
	// Object: radius 30-42% of the image, fully inside the frame, rotated
	// by up to ±25°.
	sc.radius = size * (0.30 + 0.12*r.float32())
	margin := sc.radius + 1
	sc.cx = margin + (size-2*margin)*r.float32()
	sc.cy = margin + (size-2*margin)*r.float32()
	a := (r.float64()*2 - 1) * 25 * math.Pi / 180
	sc.cos, sc.sin = float32(math.Cos(a)), float32(math.Sin(a))
	// Background: a low-contrast, low-saturation linear gradient whose
	// brightness sits on the other side of mid-grey from the object's mean
	// colour, so the silhouette always stands out. It depends only on the
	// colours, which are independent of the class.
	objLuma := luma(sc.colA)
	if sc.tex >= 0 {
		objLuma = (luma(sc.colA) + luma(sc.colB)) / 2
	}
	grey := 0.08 + 0.2*r.float32()
	if objLuma < 0.5 {
		grey = 1 - grey
	}
	ga := r.float64() * 2 * math.Pi
	gx, gy := float32(math.Cos(ga)), float32(math.Sin(ga))
	for c := 0; c < 3; c++ {
		tint := 0.06 * (r.float32()*2 - 1)
		amp := 0.12 * r.float32() / size
		mid := clamp01(grey + tint)
		sc.bgdx[c], sc.bgdy[c] = amp*gx, amp*gy
		// Centre the gradient on the image centre.
		sc.bg0[c] = mid - (sc.bgdx[c]+sc.bgdy[c])*size/2
	}
	return sc
}

// Get implements Dataset.
func (s *Shapes) Get(i int, ex *Example) error {
	if i < 0 || i >= s.opt.N {
		return fmt.Errorf("%s: example %d out of range [0, %d)", s.name, i, s.opt.N)
	}
	sc := s.scene(i)
	n := s.opt.Size
	ex.Image = growSlice(ex.Image, 3*n*n)
	ex.Mask = growSlice(ex.Mask, n*n)
	if cap(ex.Factors) < 3 {
		ex.Factors = make([]int, 3)
	}
	ex.Factors = ex.Factors[:3]
	ex.Factors[FactorShape], ex.Factors[FactorTexture], ex.Factors[FactorColour] = sc.shape, sc.tex, sc.colour
	ex.Label = sc.shape
	if s.opt.Split == SplitTextureOnly {
		ex.Label = sc.tex
	}
	sc.render(n, ex.Image, ex.Mask)
	return nil
}

// growSlice returns b resized to n elements, reusing its storage when it
// is large enough (the contents are not kept otherwise).
func growSlice(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// render draws the scene into img (3 x n x n) and mask (n x n).
func (sc *shapesScene) render(n int, img, mask []float32) {
	plane := n * n
	if sc.shape < 0 {
		// Texture only: the texture covers the frame.
		for y := 0; y < n; y++ {
			py := float32(y) + 0.5
			for x := 0; x < n; x++ {
				t := sc.texture.at(float32(x)+0.5, py)
				o := y*n + x
				for c := 0; c < 3; c++ {
					img[c*plane+o] = sc.colA[c] + t*(sc.colB[c]-sc.colA[c])
				}
				mask[o] = 1
			}
		}
		return
	}
	// The background everywhere first, then the object over it.
	for c := 0; c < 3; c++ {
		for y := 0; y < n; y++ {
			py := float32(y) + 0.5
			row := img[c*plane+y*n : c*plane+(y+1)*n]
			for x := range row {
				row[x] = clamp01(sc.bg0[c] + sc.bgdx[c]*(float32(x)+0.5) + sc.bgdy[c]*py)
			}
		}
	}
	clear(mask)
	// Only pixels within the object's circumscribed disk (plus one pixel
	// for the anti-aliased edge) can be covered.
	x0 := max(int(sc.cx-sc.radius)-1, 0)
	x1 := min(int(sc.cx+sc.radius)+2, n)
	y0 := max(int(sc.cy-sc.radius)-1, 0)
	y1 := min(int(sc.cy+sc.radius)+2, n)
	// Every distance function here is 1-Lipschitz (exact, or a min/max of
	// exact ones), so one evaluation at a 4x4 block's centre bounds the
	// distance at all its pixel centres, which lie within 1.5·√2 of it: a
	// block entirely outside keeps the background, a block entirely inside
	// is all covered, and only blocks on the outline need a distance per
	// pixel. The result is the same as evaluating every pixel.
	const block, reach = 4, 2.13
	for by := y0; by < y1; by += block {
		for bx := x0; bx < x1; bx += block {
			d := sc.distance(float32(bx)+block/2, float32(by)+block/2)
			if d-reach >= 0.5 {
				continue
			}
			inside := d+reach <= -0.5
			for y := by; y < min(by+block, y1); y++ {
				py := float32(y) + 0.5
				for x := bx; x < min(bx+block, x1); x++ {
					px := float32(x) + 0.5
					cov := float32(1)
					if !inside {
						if cov = clamp01(0.5 - sc.distance(px, py)); cov == 0 {
							continue
						}
					}
					o := y*n + x
					if cov >= 0.5 {
						mask[o] = 1
					}
					t := float32(0)
					if sc.tex >= 0 {
						t = sc.texture.at(px, py)
					}
					for c := 0; c < 3; c++ {
						fg := sc.colA[c] + t*(sc.colB[c]-sc.colA[c])
						if cov < 1 {
							bg := img[c*plane+o]
							fg = bg + cov*(fg-bg)
						}
						img[c*plane+o] = clamp01(fg)
					}
				}
			}
		}
	}
}

// distance is the signed distance in pixels from the pixel position
// (px, py) to the object's outline, negative inside.
func (sc *shapesScene) distance(px, py float32) float32 {
	// Into the shape's frame: translate, rotate by -angle, scale.
	inv := 1 / sc.radius
	dx, dy := (px-sc.cx)*inv, (py-sc.cy)*inv
	lx := sc.cos*dx + sc.sin*dy
	ly := -sc.sin*dx + sc.cos*dy
	return shapeSDFs[sc.shape](lx, ly) * sc.radius
}

var shapesSource = SourceDoc{
	Name:    "shapes",
	ArgName: "SPLIT",
	Arg:     strings.Join(ShapesSplits, ", ") + " (default train)",
	Help:    `The procedural shapes set: one of 10 shapes (` + strings.Join(ShapeNames, ", ") + `) filled with one of 10 textures (` + strings.Join(TextureNames, ", ") + `) in a random colour pair, on a background that carries no label information, with the object mask. Generated from (seed, split, index): no files, identical every run. Shape i's home texture is texture i. train/test: the home texture with probability p, else a random one; random-texture: texture independent of shape; cue-conflict: shape i with the home texture of class j != i, all 90 ordered pairs in turn (label = shape); silhouette: the shape in a flat colour; texture-only: the frame filled with a home texture, labelled by its class, mask all ones. Factors: shape, texture, colour (-1 where absent).`,
	Keys: []KeyDoc{
		{Key: "size", Default: "32", Help: "image height and width in pixels, 16-1024 (64 and 224 are the other usual sizes)"},
		{Key: "p", Default: "1", Help: "train/test only: probability that an image has its class's home texture"},
		{Key: "seed", Default: "0", Help: "selects the whole set; train and test never share images"},
		{Key: "n", Default: "train 50000, test 10000, cue-conflict 1800, others 2000", Help: "number of images to generate"},
	},
	Examples: []string{"shapes:train", "shapes:test?size=64", "shapes:train?p=0.9&seed=1", "shapes:cue-conflict?size=224"},
	open: func(s *spec) (Dataset, error) {
		split, err := s.split(SplitTrain, ShapesSplits...)
		if err != nil {
			return nil, err
		}
		opt := ShapesOptions{Split: split}
		if opt.Size, err = s.intKey("size", 32, 16, 1024); err != nil {
			return nil, err
		}
		if opt.N, err = s.intKey("n", 0, 1, 1<<31-1); err != nil {
			return nil, err
		}
		if opt.Seed, err = s.uintKey("seed", 0); err != nil {
			return nil, err
		}
		if _, given := s.params["p"]; given {
			if split != SplitTrain && split != SplitTest {
				return nil, fmt.Errorf("data spec %q: p= applies to the train and test splits only", s.raw)
			}
			if opt.P, err = s.floatKey("p", 1, 0, 1); err != nil {
				return nil, err
			}
			opt.PSet = true
		}
		ds, err := NewShapes(opt)
		if err != nil {
			return nil, fmt.Errorf("data spec %q: %w", s.raw, err)
		}
		return ds, nil
	},
}
