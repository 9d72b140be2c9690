package secrets

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Dir keeps secrets as files of mode 0600 in a directory of mode 0700, for local runs.
type Dir struct {
	root string
}

// NewDir returns a Dir rooted at root, creating it if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("secrets: create %s: %w", root, err)
	}
	return &Dir{root: root}, nil
}

func (d *Dir) path(name string) (string, error) {
	clean := filepath.Clean("/" + name)
	if name == "" || strings.Contains(name, "..") {
		return "", fmt.Errorf("secrets: invalid name %q", name)
	}
	return filepath.Join(d.root, clean), nil
}

// Get reads the named secret.
func (d *Dir) Get(_ context.Context, name string) (string, error) {
	p, err := d.path(name)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", notFound(name)
	}
	if err != nil {
		return "", fmt.Errorf("secrets: read %s: %w", name, err)
	}
	return string(b), nil
}

// Put writes the named secret, replacing any previous value atomically.
func (d *Dir) Put(_ context.Context, name, value string) error {
	return d.write(name, value, os.Rename)
}

// Create writes the named secret only if it does not exist. Readers never see
// a partly written value: the file is written aside and then linked into place.
func (d *Dir) Create(_ context.Context, name, value string) error {
	return d.write(name, value, os.Link)
}

func (d *Dir) write(name, value string, place func(tmp, final string) error) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("secrets: write %s: %w", name, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("secrets: write %s: %w", name, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(value); err != nil {
		f.Close()
		return fmt.Errorf("secrets: write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("secrets: write %s: %w", name, err)
	}
	err = place(f.Name(), p)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", ErrExists, name)
	}
	if err != nil {
		return fmt.Errorf("secrets: write %s: %w", name, err)
	}
	return nil
}

// Delete removes the named secret.
func (d *Dir) Delete(_ context.Context, name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("secrets: delete %s: %w", name, err)
	}
	return nil
}
