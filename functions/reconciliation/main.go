// Command reconciliation is ReconciliationFunction's Lambda bootstrap.
package main

import "github.com/trackly/tune-integration/internal/app/reconciliationfn"

func main() { reconciliationfn.Function.Start() }
