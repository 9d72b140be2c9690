// Package workspace finds the developer's checkout of this repository, where
// the tooling keeps its caches and reads the project's files.
package workspace

import (
	"errors"
	"os"
	"path/filepath"
)

// Root returns the nearest directory, from the working directory up, that
// holds a go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in the working directory or above it")
		}
		dir = parent
	}
}
