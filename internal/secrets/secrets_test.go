package secrets_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/trackly/tune-integration/internal/secrets"
)

func TestDirStoresPrivateFilesAndAgreesOnOneCreatedValue(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "secrets")
	dir, err := secrets.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dir.Get(ctx, "nope"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
	if _, err := dir.Get(ctx, "../escape"); err == nil {
		t.Fatal("path escape accepted")
	}

	values := make([]string, 8)
	var wg sync.WaitGroup
	for i := range values {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := secrets.NewStore(dir).GetOrCreate(ctx, "integrations/in_1/token", 24)
			if err != nil {
				t.Error(err)
			}
			values[i] = v
		}()
	}
	wg.Wait()
	for _, v := range values {
		if v == "" || v != values[0] {
			t.Fatalf("creators disagree: %q", values)
		}
	}
	info, err := os.Stat(filepath.Join(root, "integrations/in_1/token"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", info.Mode().Perm())
	}

	store := secrets.NewStore(dir)
	if err := store.Put(ctx, "integrations/in_1/token", "rotated"); err != nil {
		t.Fatal(err)
	}
	if v, _ := dir.Get(ctx, "integrations/in_1/token"); v != "rotated" {
		t.Fatalf("after Put: %q", v)
	}
}
