package report

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"html/template"
)

//go:embed report.html.tmpl
var htmlSource string

// htmlTemplate renders a document as one HTML page.
var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	// pngSrc is an <img> src attribute holding png as a data URI. It is
	// built whole because html/template would refuse the data: scheme in
	// a plain URL and escape every "+" of the base64 text; the base64
	// alphabet holds no quote, so the attribute is safe as it stands.
	"pngSrc": func(png []byte) template.HTMLAttr {
		return template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(png) + `"`)
	},
}).Parse(htmlSource))

// htmlPage is what the template sees.
type htmlPage struct {
	document
	Overview *section
	Rest     []section
}

// writeHTML writes doc as a self-contained page: inline CSS, every figure
// a data URI, no scripts and nothing fetched.
func writeHTML(b *bytes.Buffer, doc document) error {
	p := htmlPage{document: doc, Rest: doc.Sections}
	if len(doc.Sections) > 0 && doc.Sections[0].ID == "overview" {
		p.Overview = &doc.Sections[0]
		p.Rest = doc.Sections[1:]
	}
	return htmlTemplate.Execute(b, p)
}
