// Command offersync is OfferSyncFunction's Lambda bootstrap.
package main

import "github.com/trackly/tune-integration/internal/app/adminfn"

func main() { adminfn.OfferSync.Start() }
