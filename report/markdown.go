package report

import (
	"bytes"
	"fmt"
	"strings"
)

// writeMarkdown writes doc as Markdown (CommonMark with GitHub's pipe
// tables), linking the figures by their paths relative to the study's
// folder, where report.md lies.
func writeMarkdown(b *bytes.Buffer, doc document) {
	fmt.Fprintf(b, "# %s\n\n", mdText(doc.Title))
	for _, m := range doc.Meta {
		fmt.Fprintf(b, "- **%s:** %s\n", mdText(m.Key), mdText(m.Value))
	}
	b.WriteString("\n## Findings\n\n")
	if len(doc.Findings) == 0 {
		b.WriteString("The results hold too few measurements to compare models.\n")
	}
	for _, f := range doc.Findings {
		fmt.Fprintf(b, "- **%s.** %s\n", mdText(f.Topic), mdText(f.Text))
	}
	sections := doc.Sections
	// The overview comes before the table, the rest after it.
	if len(sections) > 0 && sections[0].ID == "overview" {
		writeMarkdownSection(b, sections[0])
		sections = sections[1:]
	}
	b.WriteString("\n## Results\n\n")
	writeMarkdownTable(b, doc.Table)
	for _, n := range doc.Table.Notes {
		fmt.Fprintf(b, "\n%s\n", mdText(n))
	}
	for _, s := range sections {
		writeMarkdownSection(b, s)
	}
	b.WriteString("\n## Models\n\n")
	for _, m := range doc.Models {
		name := "**" + mdText(m.Name) + "**"
		if m.Label != m.Name {
			name += " (" + mdText(m.Label) + ")"
		}
		line := name
		if m.Description != "" {
			line += ": " + mdText(m.Description)
		}
		if m.Details != "" {
			line += " (" + mdText(m.Details) + ")"
		}
		fmt.Fprintf(b, "- %s\n", line)
		for _, w := range m.Warnings {
			fmt.Fprintf(b, "  - Attack sanity check failed: %s\n", mdText(w))
		}
	}
}

// writeMarkdownSection writes one section with its figures.
func writeMarkdownSection(b *bytes.Buffer, s section) {
	fmt.Fprintf(b, "\n## %s\n\n", mdText(s.Title))
	for _, p := range s.Paragraphs {
		fmt.Fprintf(b, "%s\n\n", mdText(p))
	}
	if len(s.Figures) == 0 && s.Missing != "" {
		fmt.Fprintf(b, "*%s*\n\n", mdText(s.Missing))
	}
	for _, f := range s.Figures {
		fmt.Fprintf(b, "![%s](%s)\n\n*%s*\n\n", mdText(f.Alt), mdLink(f.File), mdText(f.Caption))
	}
}

// writeMarkdownTable writes t as a pipe table, numbers right-aligned.
func writeMarkdownTable(b *bytes.Buffer, t table) {
	row := func(cells []string, label string) {
		b.WriteString("|")
		for i, c := range cells {
			c = mdCell(c)
			if i == 0 && label != "" {
				c += " — " + mdCell(label)
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	row(t.Header, "")
	b.WriteString("|")
	for _, num := range t.Numeric {
		if num {
			b.WriteString(" ---: |")
		} else {
			b.WriteString(" --- |")
		}
	}
	b.WriteString("\n")
	for i, r := range t.Rows {
		row(r, t.Labels[i])
	}
}

// mdSpecial are the characters that would start Markdown emphasis, links,
// code or HTML inside text.
var mdSpecial = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`",
	"[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "#", `\#`)

// mdText escapes text so that Markdown shows it as written.
func mdText(s string) string { return mdSpecial.Replace(s) }

// mdCell escapes a table cell: text escapes plus the column separator.
func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(mdText(s), "|", `\|`), "\n", " ")
}

// mdLink writes a relative path as a link target, with spaces and
// parentheses percent-encoded so that the link does not end early.
func mdLink(p string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29").Replace(p)
}
