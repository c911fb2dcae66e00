package attack

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/robustlab/robustlab/internal/atomicfile"
)

// CSVHeader is the first line of WriteCSV's file.
var CSVHeader = []string{"index", "label", "clean_pred", "attack", "eps", "pred", "correct", "linf", "l2"}

// WriteCSV writes the per-example rows to path (atomically), one line per
// example, attack (and worst case) and budget, under CSVHeader.
func (r *Report) WriteCSV(path string) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	bw := bufio.NewWriter(f)
	w := csv.NewWriter(bw)
	if err := w.Write(CSVHeader); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
	for _, row := range r.Rows {
		rec := []string{strconv.Itoa(row.Index), strconv.Itoa(row.Label), strconv.Itoa(row.CleanPred), row.Attack,
			g(row.Eps), strconv.Itoa(row.Pred), strconv.FormatBool(row.Correct), g(row.Linf), g(row.L2)}
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// WriteJSON writes the summary (everything but the rows) to path,
// atomically, as indented JSON.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}
