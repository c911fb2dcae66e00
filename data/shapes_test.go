package data

import (
	"hash/fnv"
	"math"
	"math/cmplx"
	"slices"
	"strings"
	"testing"
)

func mustShapes(t testing.TB, opt ShapesOptions) *Shapes {
	t.Helper()
	s, err := NewShapes(opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t testing.TB, ds Dataset, i int) Example {
	t.Helper()
	var ex Example
	if err := ds.Get(i, &ex); err != nil {
		t.Fatal(err)
	}
	return ex
}

func imageHash(ex Example) uint64 {
	h := fnv.New64a()
	for _, v := range ex.Image {
		b := math.Float32bits(v)
		h.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24)})
	}
	return h.Sum64()
}

func TestShapesDeterministicAndDisjoint(t *testing.T) {
	a := mustShapes(t, ShapesOptions{Split: SplitTrain})
	b := mustShapes(t, ShapesOptions{Split: SplitTrain})
	test := mustShapes(t, ShapesOptions{Split: SplitTest})
	other := mustShapes(t, ShapesOptions{Split: SplitTrain, Seed: 1})
	if a.Len() != 50000 || test.Len() != 10000 {
		t.Fatalf("default lengths %d, %d", a.Len(), test.Len())
	}
	train := map[uint64]bool{}
	for i := 0; i < 500; i++ {
		x := get(t, a, i)
		// A reused Example must give the same result as a fresh one.
		var reused Example
		a.Get(i+1, &reused)
		a.Get(i, &reused)
		if y := get(t, b, i); !slices.Equal(x.Image, y.Image) || !slices.Equal(x.Mask, y.Mask) || !slices.Equal(reused.Image, x.Image) {
			t.Fatalf("image %d differs between two identical sets or with a reused Example", i)
		}
		train[imageHash(x)] = true
		if slices.Equal(x.Image, get(t, other, i).Image) {
			t.Fatalf("image %d is the same with seeds 0 and 1", i)
		}
	}
	if len(train) != 500 {
		t.Fatalf("only %d distinct images among 500", len(train))
	}
	for i := 0; i < 500; i++ {
		if train[imageHash(get(t, test, i))] {
			t.Fatalf("test image %d also appears in train", i)
		}
	}
}

func TestShapesSplitsFactorsAndLabels(t *testing.T) {
	for _, sp := range ShapesSplits {
		ds := mustShapes(t, ShapesOptions{Split: sp, N: 900})
		info := ds.Info()
		if !slices.Equal(info.Classes, ShapeNames) || !info.HasMask || info.Channels != 3 || info.Height != 32 || !slices.Equal(info.FactorNames, []string{"shape", "texture", "colour"}) {
			t.Fatalf("%s: info %+v", sp, info)
		}
		pairs := map[[2]int]int{}
		for i := 0; i < ds.Len(); i++ {
			ex := get(t, ds, i)
			shape, tex := ex.Factors[FactorShape], ex.Factors[FactorTexture]
			if c := ex.Factors[FactorColour]; c < 0 || c >= len(ColourNames) {
				t.Fatalf("%s %d: colour %d", sp, i, c)
			}
			switch sp {
			case SplitTrain, SplitTest:
				if ex.Label != shape || tex != shape {
					t.Fatalf("%s %d: label %d shape %d texture %d with p=1", sp, i, ex.Label, shape, tex)
				}
			case SplitRandomTexture:
				if ex.Label != shape || tex < 0 || tex > 9 {
					t.Fatalf("%s %d: label %d shape %d texture %d", sp, i, ex.Label, shape, tex)
				}
			case SplitCueConflict:
				if ex.Label != shape || tex == shape || tex < 0 {
					t.Fatalf("%s %d: label %d shape %d texture %d", sp, i, ex.Label, shape, tex)
				}
			case SplitSilhouette:
				if ex.Label != shape || tex != -1 {
					t.Fatalf("%s %d: label %d shape %d texture %d", sp, i, ex.Label, shape, tex)
				}
			case SplitTextureOnly:
				if ex.Label != tex || shape != -1 {
					t.Fatalf("%s %d: label %d shape %d texture %d", sp, i, ex.Label, shape, tex)
				}
				for _, m := range ex.Mask {
					if m != 1 {
						t.Fatalf("texture-only mask is not all ones")
					}
				}
			}
			pairs[[2]int{shape, tex}]++
			for _, v := range ex.Image {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("%s %d: pixel value %v outside [0, 1]", sp, i, v)
				}
			}
		}
		switch sp {
		case SplitCueConflict:
			if len(pairs) != 90 {
				t.Fatalf("cue-conflict: %d distinct (shape, texture) pairs in 900 images, want 90", len(pairs))
			}
			for p, c := range pairs {
				if c != 10 {
					t.Fatalf("cue-conflict: pair %v appears %d times in 900, want 10", p, c)
				}
			}
		case SplitRandomTexture:
			if len(pairs) < 80 {
				t.Fatalf("random-texture: only %d (shape, texture) pairs in 900 images", len(pairs))
			}
		}
	}
	if n := mustShapes(t, ShapesOptions{Split: SplitCueConflict}).Len(); n != 1800 {
		t.Fatalf("cue-conflict default length %d", n)
	}
}

func TestShapesHomeTextureProbability(t *testing.T) {
	ds := mustShapes(t, ShapesOptions{Split: SplitTrain, N: 4000, P: 0.5, PSet: true})
	home := 0
	for i := 0; i < ds.Len(); i++ {
		ex := get(t, ds, i)
		if ex.Factors[FactorTexture] == ex.Label {
			home++
		}
	}
	// P(home) = p + (1-p)/10 = 0.55; 4000 draws give a std of 0.008.
	if f := float64(home) / 4000; !(math.Abs(f-0.55) <= 0.04) {
		t.Fatalf("home texture in %.3f of images with p=0.5, want about 0.55", f)
	}
	zero := mustShapes(t, ShapesOptions{Split: SplitTrain, N: 2000, PSet: true})
	home = 0
	for i := 0; i < zero.Len(); i++ {
		if ex := get(t, zero, i); ex.Factors[FactorTexture] == ex.Label {
			home++
		}
	}
	if f := float64(home) / 2000; !(math.Abs(f-0.1) <= 0.03) {
		t.Fatalf("home texture in %.3f of images with p=0, want about 0.1 (chance)", f)
	}
}

func TestShapesMaskMarksTheObject(t *testing.T) {
	for _, size := range []int{32, 64, 224} {
		ds := mustShapes(t, ShapesOptions{Split: SplitSilhouette, Size: size, N: 60})
		var fracs []float64
		for i := 0; i < ds.Len(); i++ {
			ex := get(t, ds, i)
			n := size * size
			on := 0
			for p, m := range ex.Mask {
				if m != 0 && m != 1 {
					t.Fatalf("size %d image %d: mask value %v", size, i, m)
				}
				y, x := p/size, p%size
				if m == 1 {
					on++
					if y == 0 || x == 0 || y == size-1 || x == size-1 {
						t.Fatalf("size %d image %d: object touches the frame", size, i)
					}
				}
			}
			fracs = append(fracs, float64(on)/float64(n))
			// In a silhouette every mask pixel at least two pixels inside
			// the object has the one flat colour. (One pixel is not enough:
			// at a concave cusp, like the notch of the heart, the outline
			// can pass between pixel centres.)
			var first []float32
			for y := 2; y < size-2; y++ {
				for x := 2; x < size-2; x++ {
					inner := true
					for dy := -2; dy <= 2; dy++ {
						for dx := -2; dx <= 2; dx++ {
							inner = inner && ex.Mask[(y+dy)*size+x+dx] == 1
						}
					}
					if !inner {
						continue
					}
					px := []float32{ex.Image[y*size+x], ex.Image[n+y*size+x], ex.Image[2*n+y*size+x]}
					if first == nil {
						first = px
					} else if !slices.Equal(px, first) {
						t.Fatalf("size %d image %d: silhouette not flat: %v vs %v", size, i, px, first)
					}
				}
			}
			if first == nil {
				t.Fatalf("size %d image %d: no interior pixels", size, i)
			}
		}
		slices.Sort(fracs)
		// Objects cover a similar share of the frame at every size.
		if fracs[0] < 0.05 || fracs[len(fracs)-1] > 0.6 {
			t.Fatalf("size %d: object covers %.3f to %.3f of the image", size, fracs[0], fracs[len(fracs)-1])
		}
	}
}

func TestShapesBadOptions(t *testing.T) {
	for _, opt := range []ShapesOptions{
		{Split: "validation"}, {Split: SplitTrain, Size: 8}, {Split: SplitTrain, Size: 5000},
		{Split: SplitTrain, P: 1.5}, {Split: SplitTrain, N: -3},
	} {
		if _, err := NewShapes(opt); err == nil || !strings.Contains(err.Error(), "shapes") {
			t.Errorf("options %+v: error %v", opt, err)
		}
	}
	ds := mustShapes(t, ShapesOptions{Split: SplitTest, N: 5})
	var ex Example
	if err := ds.Get(5, &ex); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("Get(5) of 5: %v", err)
	}
}

// nearestCentroid trains on the first half of (features, labels) and
// returns the accuracy on the second half, with every feature standardised
// on the training half.
func nearestCentroid(feats [][]float64, labels []int, classes int) (float64, [][]int) {
	half := len(feats) / 2
	d := len(feats[0])
	mean, std := make([]float64, d), make([]float64, d)
	for _, f := range feats[:half] {
		for j, v := range f {
			mean[j] += v / float64(half)
		}
	}
	for _, f := range feats[:half] {
		for j, v := range f {
			std[j] += (v - mean[j]) * (v - mean[j]) / float64(half)
		}
	}
	cent := make([][]float64, classes)
	count := make([]float64, classes)
	for c := range cent {
		cent[c] = make([]float64, d)
	}
	z := func(f []float64) []float64 {
		o := make([]float64, d)
		for j, v := range f {
			o[j] = (v - mean[j]) / (math.Sqrt(std[j]) + 1e-9)
		}
		return o
	}
	for i, f := range feats[:half] {
		for j, v := range z(f) {
			cent[labels[i]][j] += v
		}
		count[labels[i]]++
	}
	for c := range cent {
		for j := range cent[c] {
			cent[c][j] /= count[c]
		}
	}
	right := 0
	conf := make([][]int, classes)
	for c := range conf {
		conf[c] = make([]int, classes)
	}
	for i, f := range feats[half:] {
		zf := z(f)
		best, bestD := -1, math.Inf(1)
		for c := range cent {
			var s float64
			for j := range zf {
				s += (zf[j] - cent[c][j]) * (zf[j] - cent[c][j])
			}
			if s < bestD {
				best, bestD = c, s
			}
		}
		if best == labels[half+i] {
			right++
		}
		conf[labels[half+i]][best]++
	}
	return float64(right) / float64(len(feats)-half), conf
}

// TestTexturesSeparableBySpectrum checks that the ten textures differ in
// their 2-D amplitude spectrum, which ignores where the pattern's phase
// falls and which colours it has: a nearest-centroid classifier on the
// spectrum of the texture-only images must tell them apart.
func TestTexturesSeparableBySpectrum(t *testing.T) {
	const size, n = 32, 600
	ds := mustShapes(t, ShapesOptions{Split: SplitTextureOnly, Size: size, N: n})
	feats := make([][]float64, n)
	labels := make([]int, n)
	for i := range feats {
		ex := get(t, ds, i)
		labels[i] = ex.Label
		// Luma, then the texture's contrast normalised away.
		g := make([]float64, size*size)
		var mean, sq float64
		for p := range g {
			g[p] = 0.299*float64(ex.Image[p]) + 0.587*float64(ex.Image[size*size+p]) + 0.114*float64(ex.Image[2*size*size+p])
			mean += g[p] / float64(len(g))
		}
		for p := range g {
			g[p] -= mean
			sq += g[p] * g[p]
		}
		for p := range g {
			g[p] /= math.Sqrt(sq) + 1e-12
		}
		// Naive 2-D DFT in float64, amplitudes pooled over 2x2 frequency
		// cells (half plane: the spectrum of a real image is symmetric).
		row := make([][]complex128, size)
		for y := 0; y < size; y++ {
			row[y] = make([]complex128, size)
			for k := 0; k < size; k++ {
				var s complex128
				for x := 0; x < size; x++ {
					s += complex(g[y*size+x], 0) * cmplx.Rect(1, -2*math.Pi*float64(k*x)/size)
				}
				row[y][k] = s
			}
		}
		f := make([]float64, (size/2)*(size/4))
		for l := 0; l < size/2; l++ {
			for k := 0; k < size; k++ {
				var s complex128
				for y := 0; y < size; y++ {
					s += row[y][k] * cmplx.Rect(1, -2*math.Pi*float64(l*y)/size)
				}
				f[(l/2)*(size/2)+k/2] += cmplx.Abs(s)
			}
		}
		feats[i] = f
	}
	acc, conf := nearestCentroid(feats, labels, 10)
	t.Logf("texture-only, nearest centroid on the amplitude spectrum: %.3f; confusion (row = true): %v", acc, conf)
	if acc < 0.9 {
		t.Fatalf("textures are not separable by their spectrum: accuracy %.3f", acc)
	}
}

// TestSilhouettesSeparableByOutline checks that shape alone identifies the
// class at 32x32: features that ignore position, size and rotation (the
// Fourier amplitudes of the outline's radius around the centroid, how much
// of the circumscribed disk is filled, whether the centroid is on the
// object) classify silhouettes with a nearest-centroid rule.
func TestSilhouettesSeparableByOutline(t *testing.T) {
	const size, n, angles = 32, 1000, 64
	ds := mustShapes(t, ShapesOptions{Split: SplitSilhouette, Size: size, N: n})
	feats := make([][]float64, n)
	labels := make([]int, n)
	for i := range feats {
		ex := get(t, ds, i)
		labels[i] = ex.Label
		var cx, cy, area float64
		for p, m := range ex.Mask {
			if m == 1 {
				cx += float64(p%size) + 0.5
				cy += float64(p/size) + 0.5
				area++
			}
		}
		cx, cy = cx/area, cy/area
		r := make([]float64, angles)
		var rmax, rmean float64
		for a := range r {
			th := 2 * math.Pi * float64(a) / angles
			for s := 0.0; s < size; s += 0.25 {
				x, y := int(cx+s*math.Cos(th)), int(cy+s*math.Sin(th))
				if x < 0 || y < 0 || x >= size || y >= size {
					break
				}
				if ex.Mask[y*size+x] == 1 {
					r[a] = s
				}
			}
			rmax = math.Max(rmax, r[a])
			rmean += r[a] / angles
		}
		f := []float64{area / (math.Pi * rmax * rmax), float64(ex.Mask[int(cy)*size+int(cx)])}
		for k := 1; k <= 8; k++ {
			var s complex128
			for a, v := range r {
				s += complex(v/rmean, 0) * cmplx.Rect(1, -2*math.Pi*float64(k*a)/angles)
			}
			f = append(f, cmplx.Abs(s)/angles)
		}
		feats[i] = f
	}
	acc, conf := nearestCentroid(feats, labels, 10)
	t.Logf("silhouette, nearest centroid on outline features: %.3f; confusion (row = true): %v", acc, conf)
	if acc < 0.85 {
		t.Fatalf("silhouettes are not separable by shape: accuracy %.3f", acc)
	}
}

func BenchmarkShapesGet32(b *testing.B) {
	ds := mustShapes(b, ShapesOptions{Split: SplitTrain})
	var ex Example
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ds.Get(i%ds.Len(), &ex)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// renderReference draws a scene the slow way, one distance per pixel, in
// the order the renderer documents: background, then the object blended
// over it by its coverage.
func renderReference(sc *shapesScene, n int) (img, mask []float32) {
	img, mask = make([]float32, 3*n*n), make([]float32, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			px, py := float32(x)+0.5, float32(y)+0.5
			o := y*n + x
			cov := clamp01(0.5 - sc.distance(px, py))
			if cov >= 0.5 {
				mask[o] = 1
			}
			t := float32(0)
			if sc.tex >= 0 && cov > 0 {
				t = sc.texture.at(px, py)
			}
			for c := 0; c < 3; c++ {
				bg := clamp01(sc.bg0[c] + sc.bgdx[c]*px + sc.bgdy[c]*py)
				v := bg
				if cov > 0 {
					fg := sc.colA[c] + t*(sc.colB[c]-sc.colA[c])
					if cov < 1 {
						fg = bg + cov*(fg-bg)
					}
					v = clamp01(fg)
				}
				img[c*n*n+o] = v
			}
		}
	}
	return img, mask
}

func TestShapesBlockRendererMatchesPerPixel(t *testing.T) {
	for _, size := range []int{17, 32, 64} {
		for _, sp := range []string{SplitRandomTexture, SplitSilhouette} {
			ds := mustShapes(t, ShapesOptions{Split: sp, Size: size, N: 200})
			for i := 0; i < ds.Len(); i++ {
				ex := get(t, ds, i)
				sc := ds.scene(i)
				img, mask := renderReference(&sc, size)
				if !slices.Equal(ex.Image, img) || !slices.Equal(ex.Mask, mask) {
					t.Fatalf("%s size %d image %d (%s): block renderer differs from per-pixel rendering", sp, size, i, ShapeNames[sc.shape])
				}
			}
		}
	}
}
