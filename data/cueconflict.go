package data

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Cue-conflict stimulus folders in the layout of Geirhos et al., "ImageNet-
// trained CNNs are biased towards texture; increasing shape bias improves
// accuracy and robustness" (ICLR 2019; github.com/rgeirhos/texture-vs-shape):
// one folder per shape class holding files named {shape}{i}-{texture}{j}.png
// (e.g. airplane1-bicycle2.png), the shape of one class rendered with the
// texture of another. Both labels come from the file name; the label is
// the shape, and the factors are (shape, texture).

// OpenCueConflict opens a cue-conflict stimulus folder. Every file's name
// must parse as {shape}{digits}-{texture}{digits}.{ext} with both parts
// naming class folders, and the shape must be the folder it is in.
func OpenCueConflict(root string, opt FolderOptions, name string) (*Folder, error) {
	classes, files, labels, err := listClassFolders(root, name)
	if err != nil {
		return nil, err
	}
	index := make(map[string]int, len(classes))
	for i, c := range classes {
		index[c] = i
	}
	factors := make([][]int, len(files))
	for i, p := range files {
		shape, tex, err := parseCueConflictName(filepath.Base(p), index)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, p, err)
		}
		if shape != labels[i] {
			return nil, fmt.Errorf("%s: %s: the file name says shape %q but the file is in folder %q", name, p, classes[shape], classes[labels[i]])
		}
		factors[i] = []int{shape, tex}
	}
	f := &Folder{name: name, root: root, classes: classes, files: files, labels: labels, factors: factors, opt: opt}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

// parseCueConflictName splits "airplane1-bicycle2.png" into the class
// indices of "airplane" and "bicycle". Class names may themselves contain
// '-', so every '-' is tried as the separator.
func parseCueConflictName(base string, index map[string]int) (shape, texture int, err error) {
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	for i := 0; i < len(stem); i++ {
		if stem[i] != '-' {
			continue
		}
		s, okS := classOf(stem[:i], index)
		t, okT := classOf(stem[i+1:], index)
		if okS && okT {
			return s, t, nil
		}
	}
	return 0, 0, fmt.Errorf("file name is not {shape}{number}-{texture}{number} with both classes among the class folders (e.g. airplane1-bicycle2.png)")
}

// classOf strips trailing digits (there must be some) and looks the rest up.
func classOf(part string, index map[string]int) (int, bool) {
	end := len(part)
	for end > 0 && part[end-1] >= '0' && part[end-1] <= '9' {
		end--
	}
	if end == len(part) || end == 0 {
		return 0, false
	}
	c, ok := index[part[:end]]
	return c, ok
}

var cueConflictSource = SourceDoc{
	Name:    "cue-conflict",
	ArgName: "DIR",
	Arg:     "the stimulus folder, with one sub-folder per shape class with files {shape}{i}-{texture}{j}.png (the texture-vs-shape layout)",
	Help:    "Cue-conflict stimuli (Geirhos et al. 2019): images with the shape of one class and the texture of another. Label = shape; factors shape and texture, both from the file name.",
	Keys: []KeyDoc{
		{Key: "size", Help: "make every image size x size pixels (the original stimuli are 224x224)"},
		{Key: "fit", Default: "crop", Help: "crop or stretch, as for folder"},
		{Key: "skip_bad", Default: "0", Help: "1: skip files that cannot be decoded and say how many"},
		nKey,
	},
	Examples: []string{"cue-conflict:texture-vs-shape/stimuli/style-transfer-preprocessed-512?size=224"},
	open: func(s *spec) (Dataset, error) {
		opt, err := folderOptions(s)
		if err != nil {
			return nil, err
		}
		return OpenCueConflict(s.arg, opt, s.raw)
	},
}
