package data

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // register GIF for image.Decode
	_ "image/jpeg"
	_ "image/png"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// Image folders, laid out like torchvision's ImageFolder: one sub-folder per
// class, class names sorted, label = position in that order; files with an
// image extension are examples (others are ignored). Images are decoded on
// demand (so the loader's workers decode in parallel) and converted to RGB.

// imageExts are the file extensions read as images (lower case).
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".bmp": true,
	".webp": true, ".gif": true, ".tif": true, ".tiff": true}

// FolderOptions configures an image folder set.
type FolderOptions struct {
	// Size, if positive, makes every image Size x Size (see Fit). If zero,
	// all images must already have the same size.
	Size int
	// Fit says how an image becomes Size x Size: "crop" (the default) scales
	// the shorter side to Size and cuts the centre, keeping the aspect
	// ratio (torchvision's Resize(Size) + CenterCrop(Size)); "stretch"
	// scales both sides to Size.
	Fit string
	// SkipBad drops files that cannot be decoded instead of failing; every
	// file is then fully decoded once when the set is opened.
	SkipBad bool
}

// Folder is an image folder data set.
type Folder struct {
	name    string
	root    string
	classes []string
	files   []string
	labels  []int
	factors [][]int // nil, or per-file factors (cue-conflict)
	fnames  []string
	h, w    int
	opt     FolderOptions
	// Skipped is the number of unreadable files dropped (SkipBad).
	Skipped int
}

// OpenFolder opens an image folder. name is used in error messages.
func OpenFolder(root string, opt FolderOptions, name string) (*Folder, error) {
	classes, files, labels, err := listClassFolders(root, name)
	if err != nil {
		return nil, err
	}
	f := &Folder{name: name, root: root, classes: classes, files: files, labels: labels, opt: opt}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

// listClassFolders finds the class sub-folders of root and their image
// files, both sorted by name.
func listClassFolders(root, name string) (classes, files []string, labels []int, err error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			classes = append(classes, e.Name())
		}
	}
	sort.Strings(classes)
	if len(classes) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: %s has no class sub-folders (want one folder of images per class)", name, root)
	}
	for label, c := range classes {
		dir := filepath.Join(root, c)
		var inClass []string
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && imageExts[strings.ToLower(filepath.Ext(p))] {
				inClass = append(inClass, p)
			}
			return nil
		})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(inClass) == 0 {
			return nil, nil, nil, fmt.Errorf("%s: class folder %s holds no image files (%s)", name, dir, extList())
		}
		sort.Strings(inClass)
		for _, p := range inClass {
			files = append(files, p)
			labels = append(labels, label)
		}
	}
	return classes, files, labels, nil
}

func extList() string {
	var e []string
	for k := range imageExts {
		e = append(e, k)
	}
	sort.Strings(e)
	return strings.Join(e, " ")
}

// check reads every file's header (or, with SkipBad, decodes every file)
// and fixes the image size.
func (f *Folder) check() error {
	type res struct {
		w, h int
		err  error
	}
	out := make([]res, len(f.files))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if f.opt.SkipBad {
					img, err := decodeFile(f.files[i])
					if err == nil {
						b := img.Bounds()
						out[i] = res{b.Dx(), b.Dy(), nil}
					} else {
						out[i] = res{err: err}
					}
					continue
				}
				cfg, err := decodeConfig(f.files[i])
				out[i] = res{cfg.Width, cfg.Height, err}
			}
		}()
	}
	for i := range f.files {
		next <- i
	}
	close(next)
	wg.Wait()
	keep := 0
	for i, r := range out {
		if r.err == nil && (r.w == 0 || r.h == 0) {
			r.err = fmt.Errorf("%s: empty image (%dx%d)", f.files[i], r.w, r.h)
		}
		if r.err != nil {
			if !f.opt.SkipBad {
				return fmt.Errorf("%s: %w (spec key skip_bad=1 or --skip-bad skips unreadable files)", f.name, r.err)
			}
			f.Skipped++
			continue
		}
		if f.opt.Size == 0 {
			if f.h == 0 {
				f.h, f.w = r.h, r.w
			} else if r.h != f.h || r.w != f.w {
				return fmt.Errorf("%s: %s is %dx%d but %s is %dx%d: give size= to resize them all", f.name, f.files[i], r.w, r.h, f.files[0], f.w, f.h)
			}
		}
		f.files[keep], f.labels[keep] = f.files[i], f.labels[i]
		if f.factors != nil {
			f.factors[keep] = f.factors[i]
		}
		keep++
	}
	f.files, f.labels = f.files[:keep], f.labels[:keep]
	if f.factors != nil {
		f.factors = f.factors[:keep]
	}
	if keep == 0 {
		return fmt.Errorf("%s: all %d image files under %s are unreadable", f.name, len(out), f.root)
	}
	if f.opt.Size > 0 {
		f.h, f.w = f.opt.Size, f.opt.Size
	}
	return nil
}

func decodeConfig(path string) (image.Config, error) {
	fh, err := os.Open(path)
	if err != nil {
		return image.Config{}, err
	}
	defer fh.Close()
	cfg, _, err := image.DecodeConfig(bufio.NewReader(fh))
	if err != nil {
		return cfg, fmt.Errorf("%s: cannot read the image header: %v", path, imageErr(err))
	}
	return cfg, nil
}

func decodeFile(path string) (image.Image, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	img, _, err := image.Decode(bufio.NewReader(fh))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decode the image: %v", path, imageErr(err))
	}
	return img, nil
}

func imageErr(err error) error {
	if errors.Is(err, image.ErrFormat) {
		return errors.New("not a JPEG, PNG, BMP, WebP, GIF or TIFF file")
	}
	if err.Error() == "unexpected EOF" {
		return errors.New("file is truncated")
	}
	return err
}

// Len implements Dataset.
func (f *Folder) Len() int { return len(f.files) }

// Info implements Dataset.
func (f *Folder) Info() Info {
	info := Info{Name: f.name, Classes: append([]string(nil), f.classes...), Channels: 3, Height: f.h, Width: f.w}
	if f.factors != nil {
		info.FactorNames = []string{"shape", "texture"}
	}
	return info
}

// Path returns the file of example i.
func (f *Folder) Path(i int) string { return f.files[i] }

// Get implements Dataset: it decodes the file, converts it to RGB and
// resizes it if the set has a size.
func (f *Folder) Get(i int, ex *Example) error {
	if i < 0 || i >= len(f.files) {
		return fmt.Errorf("%s: example %d out of range [0, %d)", f.name, i, len(f.files))
	}
	img, err := decodeFile(f.files[i])
	if err != nil {
		return fmt.Errorf("%s: %w", f.name, err)
	}
	src := toCHW(img)
	ex.Image = growSlice(ex.Image, 3*f.h*f.w)
	dst := Image{C: 3, H: f.h, W: f.w, Pix: ex.Image}
	switch {
	case src.H == f.h && src.W == f.w:
		copy(dst.Pix, src.Pix)
	case f.opt.Size == 0:
		return fmt.Errorf("%s: %s is %dx%d, the set's images are %dx%d", f.name, f.files[i], src.W, src.H, f.w, f.h)
	default:
		fitImage(src, dst, f.opt.Fit)
	}
	ex.Label = f.labels[i]
	ex.Mask, ex.Factors = ex.Mask[:0], ex.Factors[:0]
	if f.factors != nil {
		ex.Factors = append(ex.Factors, f.factors[i]...)
	}
	return nil
}

// fitImage scales src into dst: "stretch" scales each side to dst's;
// "crop" scales so the shorter side fits and cuts the centre. Shrinking
// uses Area (anti-aliased), enlarging Bilinear.
func fitImage(src, dst Image, fit string) {
	h, w := dst.H, dst.W
	if fit != "stretch" {
		// The shorter side becomes the target; the other keeps the aspect
		// ratio (rounded down, like torchvision's Resize(int)).
		if src.W < src.H {
			h = max(dst.H, int(int64(dst.W)*int64(src.H)/int64(src.W)))
			w = dst.W
		} else {
			w = max(dst.W, int(int64(dst.H)*int64(src.W)/int64(src.H)))
			h = dst.H
		}
	}
	method := Bilinear
	if h < src.H && w < src.W {
		method = Area
	}
	if h == dst.H && w == dst.W {
		resize(src, dst, method)
		return
	}
	mid := Image{C: src.C, H: h, W: w, Pix: make([]float32, src.C*h*w)}
	resize(src, mid, method)
	CenterCrop{Height: dst.H, Width: dst.W}.Apply(nil, mid, dst, Image{}, Image{})
}

// toCHW converts a decoded image to RGB float32 in [0, 1], channels first.
// Transparent pixels keep their colour (alpha is dropped, as PIL's
// convert("RGB") does).
func toCHW(img image.Image) Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	m := Image{C: 3, H: h, W: w, Pix: make([]float32, 3*h*w)}
	r, g, bl := m.Pix[:h*w], m.Pix[h*w:2*h*w], m.Pix[2*h*w:]
	switch src := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+w]
			for x, v := range row {
				f := float32(v) / 255
				r[y*w+x], g[y*w+x], bl[y*w+x] = f, f, f
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+4*w]
			for x := 0; x < w; x++ {
				r[y*w+x] = float32(row[4*x]) / 255
				g[y*w+x] = float32(row[4*x+1]) / 255
				bl[y*w+x] = float32(row[4*x+2]) / 255
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				r[y*w+x] = float32(c.R) / 255
				g[y*w+x] = float32(c.G) / 255
				bl[y*w+x] = float32(c.B) / 255
			}
		}
	}
	return m
}

var folderSource = SourceDoc{
	Name:    "folder",
	ArgName: "DIR",
	Arg:     "the root folder, with one sub-folder of images per class (like torchvision's ImageFolder; class names sorted)",
	Help:    "Any labelled image folder: JPEG, PNG, BMP, WebP, GIF or TIFF files, converted to RGB. Without size= every image must have the same size.",
	Keys: []KeyDoc{
		{Key: "size", Help: "make every image size x size pixels"},
		{Key: "fit", Default: "crop", Help: "crop: scale the shorter side to size and cut the centre; stretch: scale both sides to size"},
		{Key: "skip_bad", Default: "0", Help: "1: skip files that cannot be decoded (all are decoded once when the set opens) and say how many"},
		nKey,
	},
	Examples: []string{"folder:/data/imagenet-val?size=224", "folder:DIR?size=64&fit=stretch&skip_bad=1"},
	open: func(s *spec) (Dataset, error) {
		opt, err := folderOptions(s)
		if err != nil {
			return nil, err
		}
		return OpenFolder(s.arg, opt, s.raw)
	},
}

func folderOptions(s *spec) (FolderOptions, error) {
	var opt FolderOptions
	if s.arg == "" {
		return opt, fmt.Errorf("data spec %q: give the folder after the colon, e.g. %s:/path/to/images", s.raw, s.source)
	}
	var err error
	if opt.Size, err = s.intKey("size", 0, 1, 8192); err != nil {
		return opt, err
	}
	if opt.Fit, err = s.choiceKey("fit", "crop", "crop", "stretch"); err != nil {
		return opt, err
	}
	if opt.SkipBad, err = s.boolKey("skip_bad"); err != nil {
		return opt, err
	}
	return opt, nil
}

// Skipped returns how many unreadable files an image folder set opened with
// skip_bad dropped (0 for any other set).
func Skipped(ds Dataset) int {
	if s, ok := ds.(*subset); ok {
		ds = s.Dataset
	}
	if f, ok := ds.(*Folder); ok {
		return f.Skipped
	}
	return 0
}
