// Command postback is PostbackFunction's Lambda bootstrap.
package main

import "github.com/trackly/tune-integration/internal/app/postbackfn"

func main() { postbackfn.Function.Start() }
