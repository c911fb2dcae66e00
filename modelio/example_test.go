package modelio_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/models"
)

// A model file records how to rebuild the model; Load needs nothing else.
func ExampleLoad() {
	dir, _ := os.MkdirTemp("", "modelio")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "smallcnn.safetensors")

	meta := modelio.Meta{Arch: "smallcnn", Options: models.Options{Width: 8}, InputShape: []int{3, 32, 32}}
	m, _ := models.New(meta.Arch, meta.Options)
	if err := modelio.Save(path, m, meta); err != nil {
		panic(err)
	}
	_, got, err := modelio.Load(path)
	if err != nil {
		panic(err)
	}
	fmt.Println(got.Arch, got.Options.Width, got.Options.Classes, got.Options.Std)
	// Output: smallcnn 8 10 [1 1 1]
}
