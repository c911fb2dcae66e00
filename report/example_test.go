package report_test

import (
	"fmt"
	"log"

	"github.com/robustlab/robustlab/report"
)

// Redraw the report of a finished study, as robustlab report DIR does.
func Example() {
	dir := "runs/shapes"
	r, err := report.Load(dir)
	if err != nil {
		log.Fatal(err) // names results.json and what is wrong in it
	}
	if err := report.Write(dir, r); err != nil {
		log.Fatal(err)
	}
	for _, f := range report.Findings(r) {
		fmt.Printf("%s: %s\n", f.Topic, f.Text)
	}
}
