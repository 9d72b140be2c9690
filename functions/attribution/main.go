// Command attribution is AttributionFunction's Lambda bootstrap.
package main

import "github.com/trackly/tune-integration/internal/app/attributionfn"

func main() { attributionfn.Function.Start() }
