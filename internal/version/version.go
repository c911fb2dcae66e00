// Package version holds robustlab's version, recorded in every model file
// and report.
package version

// Version is robustlab's release version.
const Version = "0.1.0-dev"
