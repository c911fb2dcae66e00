// Package data provides the data sets robustlab trains and evaluates on and
// the loader that batches them: the procedural shapes set (every image's
// shape, texture, colour and object mask known), MNIST, Fashion-MNIST,
// CIFAR-10/100, image folders and cue-conflict stimulus folders, all opened
// from spec strings such as "shapes:train?size=64" or "mnist:test".
//
// Images are float32, channels first (C x H x W), with values in [0, 1].
package data

// Info describes a data set.
type Info struct {
	// Name is the spec string the set was opened from.
	Name string
	// Classes are the class names; labels index into it.
	Classes []string
	// Channels, Height and Width give every image's shape.
	Channels, Height, Width int
	// HasMask is true if examples carry an object mask.
	HasMask bool
	// FactorNames names the entries of Example.Factors (for shapes: "shape",
	// "texture", "colour"...); a cue-conflict set has "shape" and "texture".
	FactorNames []string
}

// Example is one labelled image.
type Example struct {
	// Image holds Channels*Height*Width values in [0, 1], channels first.
	Image []float32
	// Label is the class index.
	Label int
	// Mask, if the set has masks, holds Height*Width values: 1 on the
	// object, 0 on the background.
	Mask []float32
	// Factors holds one value per Info.FactorNames entry.
	Factors []int
}

// Dataset is a fixed-length, randomly accessible collection of examples.
// Get must be safe for concurrent use by several goroutines.
type Dataset interface {
	// Len is the number of examples.
	Len() int
	// Info describes the set.
	Info() Info
	// Get fills ex with example i, reusing ex's slices when they are large
	// enough. An error names the file and what is wrong with it.
	Get(i int, ex *Example) error
}
