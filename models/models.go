// Package models builds robustlab's architectures by name: Madry et al.'s
// MNIST CNN, He et al.'s CIFAR ResNets (8 to 110 layers, shortcut option A
// or B), the PreAct ResNet-18 of Wong et al.'s fast adversarial training,
// Wide ResNets in the TRADES/RobustBench layout, torchvision's ImageNet
// ResNet-18 and ResNet-50, and a small CNN for quick studies.
//
// Every model takes images in [0,1], N x C x H x W, and normalizes them
// itself: its first submodule is an nn.Normalize registered as "normalize",
// so a state dict holds "normalize.mean" and "normalize.std" beside the
// weights. Every other tensor has the name the architecture's reference
// PyTorch code gives it, so checkpoints map one to one (a torchvision
// state dict loads into resnet50 once the two normalize buffers are added).
package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// Options configure an architecture. Zero values mean the architecture's
// default; an option that an architecture does not have must be left zero
// (see Names and Describe for which apply).
type Options struct {
	// Classes is the number of outputs (default 10, 1000 for resnet18 and
	// resnet50).
	Classes int `json:"classes"`
	// InChannels is the number of image channels (default 3, 1 for
	// madry-mnist and wong-mnist).
	InChannels int `json:"in_channels"`
	// Width is the base width (channels of the first stage) of the CIFAR
	// ResNets (16), preact-resnet18 (64), resnet18/resnet50 (64) and
	// smallcnn (32), and the widen factor k of wrn (10).
	Width int `json:"width,omitempty"`
	// Depth is the number of layers of wrn (default 28; 6n+4); the other
	// architectures have their depth in their name.
	Depth int `json:"depth,omitempty"`
	// Shortcut is the CIFAR ResNets' shortcut where the shape changes: "A"
	// (default; identity with stride-2 subsampling and zero channels, the
	// paper's choice) or "B" (1x1 convolution and batch norm).
	Shortcut string `json:"shortcut,omitempty"`
	// Dropout is the dropout probability inside wrn's blocks (default 0).
	Dropout float32 `json:"dropout,omitempty"`
	// Mean and Std normalize each input channel: (x - Mean[c]) / Std[c].
	// Both empty means 0 and 1 (no normalization).
	Mean []float32 `json:"mean"`
	Std  []float32 `json:"std"`
	// Seed seeds the initialization and the dropout generator.
	Seed uint64 `json:"seed"`
}

// Info describes an architecture.
type Info struct {
	// Name is the name New takes.
	Name string
	// Doc says what the architecture is and where it comes from.
	Doc string
	// FeatureLayer is the path of the last convolutional stage, the layer
	// GradCAM explains by default ("layer3" for CIFAR ResNets).
	FeatureLayer string
	// InputSize is the image height and width the architecture requires,
	// or 0 if it takes any size of at least MinInputSize.
	InputSize, MinInputSize int
}

// arch is one entry of the registry: its description, which options it has
// with their defaults, and its constructor (called with resolved options).
type arch struct {
	Info
	classes, channels int
	width             int  // default Width; 0: no Width option
	depth             int  // default Depth; 0: no Depth option
	shortcut, dropout bool // whether Shortcut, Dropout apply
	check             func(o Options) error
	build             func(o Options, rng *rand.Rand) nn.Module
}

var archs = map[string]*arch{}

func register(a *arch) { archs[a.Name] = a }

// Limits that keep a model file's options from asking for absurd amounts
// of memory (options may come from a file that is corrupt).
const (
	maxClasses  = 100000
	maxChannels = 64
	maxWidth    = 1024
	maxDepth    = 1000
)

// Names lists the architectures New knows, sorted.
func Names() []string {
	var out []string
	for n := range archs {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Describe returns what is known about an architecture.
func Describe(name string) (Info, error) {
	a, err := lookup(name)
	if err != nil {
		return Info{}, err
	}
	return a.Info, nil
}

func lookup(name string) (*arch, error) {
	a, ok := archs[name]
	if !ok {
		return nil, fmt.Errorf("models: unknown architecture %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return a, nil
}

// Resolve returns o with every default filled in, or an error naming the
// option that is invalid for the architecture. New(name, o) and
// New(name, Resolve(name, o)) build the same model; model files record the
// resolved options.
func Resolve(name string, o Options) (Options, error) {
	a, err := lookup(name)
	if err != nil {
		return o, err
	}
	bad := func(format string, args ...any) (Options, error) {
		return o, fmt.Errorf("models: %s: "+format, append([]any{name}, args...)...)
	}
	o.Mean, o.Std = slices.Clone(o.Mean), slices.Clone(o.Std)
	o.Classes = cmp0(o.Classes, a.classes)
	o.InChannels = cmp0(o.InChannels, a.channels)
	switch {
	case o.Classes < 1 || o.Classes > maxClasses:
		return bad("classes %d outside [1, %d]", o.Classes, maxClasses)
	case o.InChannels < 1 || o.InChannels > maxChannels:
		return bad("input channels %d outside [1, %d]", o.InChannels, maxChannels)
	case a.width == 0 && o.Width != 0:
		return bad("has no width option (got %d)", o.Width)
	case a.depth == 0 && o.Depth != 0:
		return bad("has no depth option (got %d); the depth is in the name", o.Depth)
	case !a.shortcut && o.Shortcut != "":
		return bad("has no shortcut option (got %q)", o.Shortcut)
	case !a.dropout && o.Dropout != 0:
		return bad("has no dropout option (got %g)", o.Dropout)
	}
	if a.width != 0 {
		o.Width = cmp0(o.Width, a.width)
		if o.Width < 1 || o.Width > maxWidth {
			return bad("width %d outside [1, %d]", o.Width, maxWidth)
		}
	}
	if a.depth != 0 {
		o.Depth = cmp0(o.Depth, a.depth)
		if o.Depth < 1 || o.Depth > maxDepth {
			return bad("depth %d outside [1, %d]", o.Depth, maxDepth)
		}
	}
	if a.shortcut {
		if o.Shortcut == "" {
			o.Shortcut = "A"
		}
		if o.Shortcut != "A" && o.Shortcut != "B" {
			return bad("shortcut %q is neither \"A\" nor \"B\"", o.Shortcut)
		}
	}
	if !(o.Dropout >= 0 && o.Dropout < 1) {
		return bad("dropout %g outside [0, 1)", o.Dropout)
	}
	if len(o.Mean) == 0 && len(o.Std) == 0 {
		o.Mean = make([]float32, o.InChannels)
		o.Std = slices.Repeat([]float32{1}, o.InChannels)
	}
	if len(o.Mean) != o.InChannels || len(o.Std) != o.InChannels {
		return bad("%d means and %d standard deviations for %d input channels", len(o.Mean), len(o.Std), o.InChannels)
	}
	for c := range o.Mean {
		m, s := float64(o.Mean[c]), float64(o.Std[c])
		if math.IsNaN(m) || math.IsInf(m, 0) || !(s > 0) || math.IsInf(s, 0) {
			return bad("channel %d: mean %g and std %g (std must be positive and both finite)", c, m, s)
		}
	}
	if a.check != nil {
		if err := a.check(o); err != nil {
			return bad("%v", err)
		}
	}
	return o, nil
}

func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// New builds the architecture name with options o, initialized from
// o.Seed, in training mode.
func New(name string, o Options) (nn.Module, error) {
	o, err := Resolve(name, o)
	if err != nil {
		return nil, err
	}
	m := archs[name].build(o, tensor.NewRNG(o.Seed))
	// Dropout draws from its own stream, so that changing whether a model
	// has dropout does not change its initial weights.
	nn.SetRNG(m, tensor.NewRNG(o.Seed^0xd1b54a32d192ed03))
	return m, nil
}

// CheckInput reports whether images of shape [C,H,W] fit the architecture
// with options o, with an error that says what the model expects.
func CheckInput(name string, o Options, shape []int) error {
	o, err := Resolve(name, o)
	if err != nil {
		return err
	}
	a := archs[name]
	if len(shape) != 3 {
		return fmt.Errorf("models: %s takes images of shape [C H W], got %s", name, tensor.FormatShape(shape))
	}
	c, h, w := shape[0], shape[1], shape[2]
	switch {
	case c != o.InChannels:
		return fmt.Errorf("models: %s was built for %d-channel images, got %d channels", name, o.InChannels, c)
	case a.InputSize != 0 && (h != a.InputSize || w != a.InputSize):
		return fmt.Errorf("models: %s takes %dx%d images, got %dx%d", name, a.InputSize, a.InputSize, h, w)
	case h < a.MinInputSize || w < a.MinInputSize:
		return fmt.Errorf("models: %s takes images of at least %dx%d, got %dx%d", name, a.MinInputSize, a.MinInputSize, h, w)
	}
	return nil
}
