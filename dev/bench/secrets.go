package bench

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/trackly/tune-integration/internal/secrets"
)

// CopySecrets copies the local system's secret files under from into the Parameter Store
// emulator's directory to under prefix, leaving out the named secrets (names relative to from,
// slash-separated) and hidden files.
func CopySecrets(ctx context.Context, from string, to *secrets.Dir, prefix string, except ...string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		name, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		name = filepath.ToSlash(name)
		for _, e := range except {
			if name == e {
				return nil
			}
		}
		value, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return to.Put(ctx, prefix+name, string(value))
	})
}
