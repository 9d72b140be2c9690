package dynamodblocal_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/dynamodblocal"
)

// helperEnv makes TestHelperProcess run, in the child of TestServerDiesWithParent.
const helperEnv = "DYNAMODBLOCAL_TEST_HELPER"

func TestServerDiesWithParent(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.timeout=2m")
	child.Env = append(os.Environ(), helperEnv+"=1")
	var stderr strings.Builder
	child.Stderr = &stderr
	stdin, err := child.StdinPipe() // open until the test ends: the child lives as long
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}

	pid, err := readPID(stdout)
	if err != nil {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("%v; the child's stderr:\n%s", err, stderr.String())
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the JVM (pid %d) still runs 10s after its parent was killed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHelperProcess runs as the child of TestServerDiesWithParent: it starts a server, prints its
// JVM's pid and waits to be killed.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("runs as the child of TestServerDiesWithParent")
	}
	s, err := dynamodblocal.Start(t.Context(), dynamodblocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("jvm pid %d\n", s.PID())
	io.Copy(io.Discard, os.Stdin) // until the parent kills this process or closes stdin
}

// readPID reads the child's output up to the pid of its JVM.
func readPID(r io.Reader) (int, error) {
	var lines []string
	for sc := bufio.NewScanner(r); sc.Scan(); {
		if pid, ok := strings.CutPrefix(sc.Text(), "jvm pid "); ok {
			return strconv.Atoi(pid)
		}
		lines = append(lines, sc.Text())
	}
	return 0, fmt.Errorf("the child exited without printing its JVM's pid:\n%s", strings.Join(lines, "\n"))
}

// alive reports whether the process pid runs. A zombie does not: an orphan's lingers where init
// does not reap orphans.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command, in parentheses: "1234 (java) S ...".
	_, rest, _ := strings.Cut(string(stat[strings.LastIndexByte(string(stat), ')')+1:]), " ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}
