package localcloud

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// readHeaderTimeout bounds how long the servers wait for a request's headers.
const readHeaderTimeout = 10 * time.Second

// freshConnSweep is how often a shutting-down server closes the connections no request came on.
const freshConnSweep = 50 * time.Millisecond

// server is an http.Server whose shutdown does not wait for connections on which no request came:
// http.Server.Shutdown waits five seconds for those, and HTTP clients open them ahead of need.
type server struct {
	srv *http.Server

	mu    sync.Mutex
	fresh map[net.Conn]bool // connections in http.StateNew
}

func newServer(h http.Handler, baseContext func(net.Listener) context.Context) *server {
	s := &server{fresh: map[net.Conn]bool{}}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, BaseContext: baseContext, ConnState: s.track}
	return s
}

func (s *server) track(conn net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if state == http.StateNew {
		s.fresh[conn] = true
	} else {
		delete(s.fresh, conn)
	}
}

// serve serves on ln until shutdown, and reports an unexpected end to onError.
func (s *server) serve(ln net.Listener, onError func(error)) {
	if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		onError(err)
	}
}

// shutdown stops the server once the requests in progress are answered.
func (s *server) shutdown() error {
	done := make(chan error, 1)
	go func() { done <- s.srv.Shutdown(context.Background()) }()
	t := time.NewTicker(freshConnSweep)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-t.C:
			s.mu.Lock()
			for conn := range s.fresh {
				_ = conn.Close()
			}
			s.mu.Unlock()
		}
	}
}
