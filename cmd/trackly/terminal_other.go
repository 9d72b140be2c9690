//go:build !(linux || darwin)

package main

// takeTerminal does nothing here: Ctrl-C reaches every process of the console.
func takeTerminal() (restore func()) { return func() {} }
