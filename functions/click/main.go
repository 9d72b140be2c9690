// Command click is ClickFunction's Lambda bootstrap.
package main

import "github.com/trackly/tune-integration/internal/app/clickfn"

func main() { clickfn.Function.Start() }
