// Command reports is ReportsFunction's Lambda bootstrap.
package main

import "github.com/trackly/tune-integration/internal/app/reportsfn"

func main() { reportsfn.Function.Start() }
