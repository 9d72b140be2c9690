package dynamodblocal

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// orAnotherDynamoDB ends the errors of missing prerequisites with the way around them.
const orAnotherDynamoDB = "or set AWS_ENDPOINT_URL_DYNAMODB to another DynamoDB instead (such as DynamoDB Local in Docker, or AWS)"

const (
	minJavaMajor  = 17               // DynamoDB Local 3's least Java
	startAttempts = 3                // starts on a new port when the last one's was taken
	startTimeout  = 60 * time.Second // until DynamoDB Local answers HTTP
	stopTimeout   = 5 * time.Second  // from SIGTERM to SIGKILL
	outputSize    = 64 << 10         // of the tail of DynamoDB Local's output kept for errors
)

// Options configure Start.
type Options struct {
	// CacheDir is the directory that Install keeps DynamoDB Local in; default DefaultCacheDir().
	CacheDir string
	// DBPath is the directory of the database, created if need be; empty keeps the database in
	// memory. What is written to a DBPath before Close is there for the next Start on it.
	DBPath string
	// Logger receives the server's logs; default slog.Default().
	Logger *slog.Logger
}

// Server is a running DynamoDB Local, which serves every region and every credential from one
// database.
type Server struct {
	url    string
	cmd    *exec.Cmd
	output *tail
	exited chan struct{} // closed once the process has exited and been waited for

	closeOnce sync.Once
	closeErr  error
}

// Start installs DynamoDB Local into opts.CacheDir if need be, starts it on a free port, and
// returns once it answers HTTP. ctx bounds the start only; the server runs until Close. On Linux,
// the server gets SIGKILL when the process that started it exits without closing it.
//
// DynamoDB Local listens on every network interface (it has no option to listen on loopback only),
// though URL names the loopback one.
func Start(ctx context.Context, opts Options) (*Server, error) {
	log := cmp.Or(opts.Logger, slog.Default())
	if err := checkJava(ctx); err != nil {
		return nil, err
	}
	dir, err := install(ctx, cmp.Or(opts.CacheDir, DefaultCacheDir()), log)
	if err != nil {
		return nil, err
	}
	args := []string{
		// The C1 compiler only (no C2): on a busy machine DynamoDB Local starts in a third of the
		// time, and serves the few thousand requests of tests no slower.
		"-XX:TieredStopAtLevel=1",
		"-Djava.library.path=" + filepath.Join(dir, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(dir, "DynamoDBLocal.jar"),
		"-disableTelemetry", "-sharedDb",
	}
	if opts.DBPath == "" {
		args = append(args, "-inMemory")
	} else {
		if err := os.MkdirAll(opts.DBPath, 0o755); err != nil {
			return nil, fmt.Errorf("creating the database directory of DynamoDB Local: %w", err)
		}
		args = append(args, "-dbPath", opts.DBPath)
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := launch(ctx, port, append(args, "-port", strconv.Itoa(port)))
		if errors.Is(err, errPortTaken) && attempt < startAttempts {
			log.Warn("DynamoDB Local found its port taken; starting it on another", "port", port)
			continue
		}
		if err != nil {
			return nil, err
		}
		log.Info("DynamoDB Local started", "url", s.url, "pid", s.PID(), "db", cmp.Or(opts.DBPath, "in memory"))
		return s, nil
	}
}

// URL returns the server's endpoint, such as http://127.0.0.1:8000.
func (s *Server) URL() string { return s.url }

// PID returns the process ID of the server's JVM.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Close stops the server: SIGTERM, on which DynamoDB Local saves a DBPath's database, then SIGKILL
// if it still runs 5 seconds later. It returns once the process has exited: an error if the server
// had exited before Close or had to be killed. Calls after the first return the first's error.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.stop() })
	return s.closeErr
}

func (s *Server) stop() error {
	select {
	case <-s.exited:
		return fmt.Errorf("DynamoDB Local had exited (%s):\n%s", s.cmd.ProcessState, s.output)
	default:
	}
	if err := terminate(s.cmd); err != nil {
		s.kill()
		return fmt.Errorf("stopping DynamoDB Local: %w", err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopTimeout):
		s.kill()
		return fmt.Errorf("DynamoDB Local did not stop within %v of SIGTERM, so it was killed", stopTimeout)
	}
}

// kill kills the server and waits for it to exit.
func (s *Server) kill() {
	_ = kill(s.cmd) // fails only if it has exited already
	<-s.exited
}

var shared struct {
	mu     sync.Mutex
	server *Server
}

// Shared returns the process's shared in-memory server, which it starts on the first call (and on
// the first call after a failed start), so that the tests of a test binary share one. Those tests
// share its tables too: each should create tables of its own.
//
// Nothing closes the shared server: on Linux, it gets SIGKILL when the process exits, whether
// normally or killed. On other systems it outlives the process.
func Shared(ctx context.Context) (*Server, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.server == nil {
		s, err := Start(ctx, Options{})
		if err != nil {
			return nil, err
		}
		shared.server = s
	}
	return shared.server, nil
}

// javaVersion finds the version in the output of java -version, such as `openjdk version
// "17.0.15"` or, before Java 9, `java version "1.8.0_392"`.
var javaVersion = regexp.MustCompile(`version "(\d+)(?:\.(\d+))?`)

// checkJava checks that java on PATH is Java 17 or newer.
func checkJava(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "java", "-version").CombinedOutput()
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("DynamoDB Local needs Java %d or newer: %w; install it, %s", minJavaMajor, err, orAnotherDynamoDB)
	}
	if err != nil {
		return fmt.Errorf("DynamoDB Local needs Java %d or newer, and java -version failed (%w): %s; install it, %s",
			minJavaMajor, err, bytes.TrimSpace(out), orAnotherDynamoDB)
	}
	m := javaVersion.FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("DynamoDB Local needs Java %d or newer, and java -version named no version: %s", minJavaMajor, bytes.TrimSpace(out))
	}
	major, _ := strconv.Atoi(string(m[1])) // digits, so no error but for absurd versions
	if major == 1 && m[2] != nil {
		major, _ = strconv.Atoi(string(m[2]))
	}
	if major < minJavaMajor {
		return fmt.Errorf("DynamoDB Local needs Java %d or newer, and java on PATH is Java %d; install a newer one, %s", minJavaMajor, major, orAnotherDynamoDB)
	}
	return nil
}

// freePort returns a TCP port that is free on the loopback interface just now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port for DynamoDB Local: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// errPortTaken is the error of launch when DynamoDB Local could not listen on its port.
var errPortTaken = errors.New("port taken")

// launch runs java with args, which tell DynamoDB Local to listen on port, and waits until it
// answers HTTP.
func launch(ctx context.Context, port int, args []string) (*Server, error) {
	s := &Server{
		url:    "http://127.0.0.1:" + strconv.Itoa(port),
		cmd:    exec.Command("java", args...),
		output: &tail{},
		exited: make(chan struct{}),
	}
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	ownProcessGroup(s.cmd)
	started := make(chan error, 1)
	go s.run(started)
	if err := <-started; err != nil {
		return nil, fmt.Errorf("starting DynamoDB Local: %w", err)
	}
	if err := s.waitReady(ctx); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

// run starts the process, sends the error of the start to started, and waits for the process to
// exit. It keeps its OS thread to itself throughout, for Linux sends the parent-death signal when
// the thread that started the process ends, and not only when this process does
// (https://go.dev/issue/27505).
func (s *Server) run(started chan<- error) {
	runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
	err := s.cmd.Start()
	started <- err
	if err != nil {
		return
	}
	_ = s.cmd.Wait() // its exit status is in s.cmd.ProcessState
	close(s.exited)
}

// waitReady waits until the server answers HTTP, and fails if it exits first, if ctx ends or
// if startTimeout passes.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeoutCause(ctx, startTimeout,
		fmt.Errorf("DynamoDB Local did not answer on %s within %v", s.url, startTimeout))
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		if s.answers(ctx, client) {
			return nil
		}
		select {
		case <-s.exited:
			err := fmt.Errorf("DynamoDB Local exited as it started (%s)", s.cmd.ProcessState)
			if strings.Contains(s.output.String(), "Address already in use") {
				err = fmt.Errorf("%w: %w", err, errPortTaken)
			}
			return fmt.Errorf("%w:\n%s", err, s.output)
		case <-ctx.Done():
			return fmt.Errorf("starting DynamoDB Local: %w:\n%s", context.Cause(ctx), s.output)
		case <-poll.C:
		}
	}
}

// answers reports whether the server answers an HTTP request (with 400, to this one).
func (s *Server) answers(ctx context.Context, client *http.Client) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// tail is an io.Writer that keeps the last outputSize bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if extra := len(t.buf) - outputSize; extra > 0 {
		t.buf = t.buf[extra:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
