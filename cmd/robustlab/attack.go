package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/robustlab/robustlab/attack"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/tensor"
)

// pngWriter writes the images of robustlab attack: each example's clean
// image once, and per attack and budget its adversarial image and its
// perturbation, amplified to fill the grey range.
type pngWriter struct {
	out   string
	scale int
	clean map[int]bool
	files int
}

// folderName makes an attack label or a budget usable as a folder name.
func folderName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		}
		return '_'
	}, s)
}

func (p *pngWriter) image(t *tensor.Tensor, i int) data.Image {
	s := t.Shape()
	d := s[1] * s[2] * s[3]
	return data.Image{C: s[1], H: s[2], W: s[3], Pix: t.Data()[i*d : (i+1)*d]}
}

func (p *pngWriter) write(path string, img data.Image) error {
	rgba, err := data.ToRGBA(img, p.scale)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	p.files++
	return data.WritePNG(path, rgba)
}

// batch implements attack.EvalConfig.OnBatch.
func (p *pngWriter) batch(b *attack.AdvBatch) error {
	dir := filepath.Join(p.out, folderName(b.Attack), "eps_"+folderName(formatEps(b.Eps)))
	for i, idx := range b.Indices {
		if !p.clean[idx] {
			name := fmt.Sprintf("%06d_label%d_pred%d.png", idx, b.Labels[i], b.CleanPred[i])
			if err := p.write(filepath.Join(p.out, "clean", name), p.image(b.Clean, i)); err != nil {
				return err
			}
			p.clean[idx] = true
		}
		adv := p.image(b.Adv, i)
		name := fmt.Sprintf("%06d_label%d_pred%d.png", idx, b.Labels[i], b.Pred[i])
		if err := p.write(filepath.Join(dir, name), adv); err != nil {
			return err
		}
		// The perturbation, mapped from [-eps, eps] to [0, 1] (grey is 0).
		clean := p.image(b.Clean, i)
		pert := data.Image{C: adv.C, H: adv.H, W: adv.W, Pix: make([]float32, len(adv.Pix))}
		for j, v := range adv.Pix {
			if b.Eps > 0 {
				pert.Pix[j] = float32(0.5 + 0.5*float64(v-clean.Pix[j])/b.Eps)
			} else {
				pert.Pix[j] = 0.5
			}
		}
		if err := p.write(filepath.Join(dir, fmt.Sprintf("%06d_perturbation.png", idx)), pert); err != nil {
			return err
		}
	}
	return nil
}

func init() {
	var (
		f     evalFlags
		scale int
	)
	cmd := &cobra.Command{
		Use:   "attack",
		Short: "Attack a model and write the adversarial images as PNG, with the evaluation",
		Long: `Run robustlab eval on the first --n examples of --data (default 16) and also
write the images to --out: clean/IDX_labelY_predP.png once per example, and for
each attack and budget ATTACK/eps_EPS/IDX_labelY_predP.png (the adversarial
image, P the model's prediction on it) and IDX_perturbation.png (the change,
-eps black to +eps white, grey for none), beside eval.json and
eval_examples.csv. Images are 8-bit PNG, so reading them back rounds each
pixel to a multiple of 1/255.

` + attack.SpecHelp,
		Example: `  robustlab attack --model runs/mnist/model.safetensors --data mnist:test --n 8 \
      --attacks pgd,square --eps 0.3 --out runs/mnist/adv --scale 4`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if f.out == "" {
				return fmt.Errorf("attack: --out DIR is required (the images go there)")
			}
			if scale < 1 {
				return fmt.Errorf("--scale %d: want at least 1", scale)
			}
			r, _, err := f.prepare(c.ErrOrStderr())
			if err != nil {
				return err
			}
			pw := &pngWriter{out: f.out, scale: scale, clean: map[int]bool{}}
			r.cfg.OnBatch = pw.batch
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt)
			defer stop()
			if _, err := r.run(ctx, c.OutOrStdout(), f.out); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "wrote %d images under %s\n", pw.files, f.out)
			return nil
		},
	}
	f.register(cmd.Flags(), 16, "pgd")
	cmd.Flags().StringVar(&f.out, "out", "", "folder for the images, eval.json and eval_examples.csv (required)")
	cmd.Flags().IntVar(&scale, "scale", 1, "repeat every pixel scale x scale times in the PNGs")
	root.AddCommand(cmd)
}
